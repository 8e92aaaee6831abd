#!/usr/bin/python3
"""pydantic_test.py — Pydantic interop, end to end through the cairn command.

Exports the JSON Schemas of Pydantic (v1, Debian's python3-pydantic) models
like the seed's Person/Team and an ML-metrics model (Optional, List, Dict, an
enum, datetimes, bounds, defaults), registers them with `cairn model add`, and
checks that documents Pydantic produces pass `cairn validate` and
`cairn put --model`, read back as the same model, and that invalid documents
(which Pydantic rejects too) fail with exit 5 and exactly the expected JSON
paths on stderr.

usage: pydantic_test.py CAIRN_BINARY BACKEND   (BACKEND: file, sqlite, lmdb)
Exit 0 when every check passed, 1 otherwise, 77 when pydantic is missing.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from enum import Enum
from typing import Any, Dict, List, Optional

try:
    import pydantic
    from pydantic import BaseModel, Field, ValidationError
except ImportError:
    print("pydantic is not installed: skipped")
    sys.exit(77)


class Person(BaseModel):
    name: str
    age: int
    email: Optional[str] = None


class Team(BaseModel):
    name: str
    members: List[Person]


class Stage(str, Enum):
    train = "train"
    validate = "validate"
    test = "test"


class ModelMetrics(BaseModel):
    model_name: str
    stage: Stage
    accuracy: float = Field(..., ge=0, le=1)
    precision: Optional[float] = Field(None, ge=0, le=1)
    recall: Optional[float] = None
    training_time: float
    epochs: int = 10
    parameters: Dict[str, Any]
    per_class: Dict[str, float] = {}
    tags: List[str] = []
    started_at: datetime
    finished_at: Optional[datetime] = None


PASSED = 0
FAILED = 0


def check(name, cond, detail=""):
    global PASSED, FAILED
    if cond:
        PASSED += 1
    else:
        FAILED += 1
        print("FAIL: %s%s" % (name, (": " + detail) if detail else ""))


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[-3], file=sys.stderr)
        return 2
    cairn, backend = os.path.abspath(sys.argv[1]), sys.argv[2]
    tmp = tempfile.mkdtemp(prefix="cairn-pydantic.")
    try:
        return run(cairn, backend, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(cairn, backend, tmp):
    url = {"file": "file:%s/store", "sqlite": "sqlite:%s/store.db",
           "lmdb": "lmdb:%s/store"}[backend] % tmp

    def c(*args, stdin=None):
        p = subprocess.run([cairn, "--store", url] + list(args), input=stdin,
                           capture_output=True, text=True)
        return p.returncode, p.stdout, p.stderr

    def write(name, text):
        path = os.path.join(tmp, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def error_paths(stderr):
        """The JSON paths of the "/path: rule" lines."""
        return {line.split(": ", 1)[0] for line in stderr.splitlines()
                if line.startswith("/") and ": " in line}

    # ---- register the exported schemas ----
    schemas = {"Person": Person.schema_json(), "Team": Team.schema_json(),
               "ModelMetrics": ModelMetrics.schema_json()}
    check("Team's schema nests Person as a definition",
          "Person" in json.loads(schemas["Team"]).get("definitions", {}))
    rc, out, err = c("model", "add", "Person", write("person.json", schemas["Person"]))
    check("model add Person", rc == 0 and out.strip() == "default/Person@1", err)
    rc, out, err = c("model", "add", "Team", write("team.json", schemas["Team"]))
    check("model add Team", rc == 0 and out.strip() == "default/Team@1", err)
    rc, out, err = c("model", "add", "ModelMetrics", "-", "--namespace", "ml",
                     stdin=schemas["ModelMetrics"])
    check("model add ml/ModelMetrics", rc == 0 and out.strip() == "ml/ModelMetrics@1", err)
    # exporting again (indented this time) is the same schema: a no-op
    rc, out, err = c("model", "add", "Person", "-", stdin=json.dumps(Person.schema(), indent=2))
    check("re-export of Person is unchanged", rc == 0 and "unchanged" in err, err)
    rc, out, err = c("model", "ls")
    check("model ls", out.split() == ["default/Person@1", "default/Team@1",
                                      "ml/ModelMetrics@1"], out)

    # ---- valid documents, as Pydantic writes them ----
    john = Person(name="John Doe", age=30, email="john@example.com")
    team = Team(name="Engineering", members=[Person(name="John Doe", age=30),
                                             Person(name="Jane Smith", age=28)])
    metrics = ModelMetrics(
        model_name="RandomForest", stage=Stage.validate, accuracy=0.92, precision=0.89,
        training_time=45.2, parameters={"n_estimators": 100, "max_depth": 10,
                                        "criterion": "gini", "bootstrap": True},
        per_class={"cat": 0.9, "dog": 0.95}, tags=["baseline"],
        started_at=datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc))
    # Pydantic v1's schema of Optional[X] = None does not allow null (v2's
    # does): write such documents without their None fields.
    valid = [("Person", "people/john", john), ("Team", "teams/engineering", team),
             ("ModelMetrics", "models/random_forest/run_1", metrics)]
    for model, key, obj in valid:
        doc = obj.json(exclude_none=True)
        rc, out, err = c("validate", model, write(key.replace("/", "_") + ".json", doc))
        check("validate %s" % model, rc == 0 and err == "", err)
        rc, out, err = c("put", key, doc, "--model", model)
        check("put --model %s" % model, rc == 0, err)
        rc, out, err = c("get", key, "--model", model)
        check("get --model %s" % model, rc == 0, err)
        if rc == 0:
            back = type(obj).parse_raw(out)
            check("%s reads back as the same model" % model, back == obj,
                  "%r != %r" % (back, obj))
        rc, out, err = c("get", key, "--meta")
        check("%s's resolved model in the metadata" % model,
              ('"model":"%s@1"' % ("ml/" + model if model == "ModelMetrics"
                                   else "default/" + model)) in out, out)

    # the seed's get(result_id, ModelMetrics): a record of another model fails
    rc, out, err = c("get", "people/john", "--model", "ModelMetrics")
    check("get as another model: exit 5", rc == 5, err)
    check("get as another model: says so", "wrong model" in err and "default/Person@1" in err,
          err)

    # defaults filled from the schema (Pydantic exports them)
    sparse = {"model_name": "svm", "stage": "train", "accuracy": 0.5, "training_time": 1.0,
              "parameters": {}, "started_at": "2024-06-02T08:30:00+02:00"}
    rc, out, err = c("put", "models/svm/run_1", json.dumps(sparse), "--model",
                     "ml/ModelMetrics", "--fill-defaults")
    check("put --fill-defaults", rc == 0, err)
    rc, out, err = c("get", "models/svm/run_1")
    stored = json.loads(out) if rc == 0 else {}
    check("defaults filled", stored.get("epochs") == 10 and stored.get("per_class") == {}
          and stored.get("tags") == [], out)
    check("filled document is a valid ModelMetrics",
          rc == 0 and ModelMetrics.parse_raw(out).epochs == 10)

    # ---- invalid documents: Pydantic rejects them, cairn names the paths ----
    good_metrics = json.loads(metrics.json(exclude_none=True))

    def metrics_with(**changes):
        d = dict(good_metrics)
        for k, v in changes.items():
            if v is KeyError:
                del d[k]
            else:
                d[k] = v
        return d

    invalid = [
        ("Person", {"name": "x", "age": "thirty"}, {"/age"}),
        ("Person", {"age": 3.5}, {"/", "/age"}),
        # v1's Optional[str] schema has no null: documents keep None out
        ("Person", {"name": "x", "age": 1, "email": None}, {"/email"}),
        ("Team", {"name": "Eng", "members": [{"name": "A", "age": 1},
                                             {"name": "B", "age": "old"},
                                             {"age": 3}]},
         {"/members/1/age", "/members/2"}),
        ("Team", {"name": "Eng", "members": {"name": "A", "age": 1}}, {"/members"}),
        ("ModelMetrics", metrics_with(accuracy=1.5), {"/accuracy"}),
        ("ModelMetrics", metrics_with(stage="deploy"), {"/stage"}),
        ("ModelMetrics", metrics_with(started_at="yesterday"), {"/started_at"}),
        ("ModelMetrics", metrics_with(per_class={"cat": "high"}), {"/per_class/cat"}),
        ("ModelMetrics", metrics_with(tags=["a", ["b"]]), {"/tags/1"}),
        ("ModelMetrics", metrics_with(model_name=KeyError, precision=-0.1),
         {"/", "/precision"}),
    ]
    pyd = {"Person": Person, "Team": Team, "ModelMetrics": ModelMetrics}
    for i, (model, doc, want) in enumerate(invalid):
        text = json.dumps(doc)
        name = "%s invalid #%d %s" % (model, i, text[:60])
        # Pydantic agrees (the v1 null quirk aside: Pydantic accepts None)
        if doc.get("email", "") is not None:
            try:
                pyd[model].parse_obj(doc)
                check(name + ": pydantic rejects it too", False)
            except ValidationError:
                check(name + ": pydantic rejects it too", True)
        rc, out, err = c("validate", model, "-", stdin=text)
        check(name + ": validate exits 5", rc == 5, err)
        check(name + ": the error paths", error_paths(err) == want,
              "got %s, expected %s: %s" % (sorted(error_paths(err)), sorted(want), err))
        rc, out, err = c("put", "invalid/%d" % i, text, "--model", model)
        check(name + ": put exits 5", rc == 5, err)
        check(name + ": put names the same paths", error_paths(err) == want, err)
        rc, out, err = c("exists", "invalid/%d" % i)
        check(name + ": nothing written", rc == 3)

    # ---- schema drift: a stricter version of Person ----
    class PersonV2(BaseModel):
        name: str
        age: int = Field(..., ge=40)
        email: Optional[str] = None

        class Config:
            title = "Person"

    rc, out, err = c("model", "add", "Person", "-", stdin=PersonV2.schema_json())
    check("a changed Person is refused without --new-version", rc == 4, err)
    rc, out, err = c("model", "add", "Person", "-", "--new-version",
                     stdin=PersonV2.schema_json())
    check("model add --new-version", rc == 0 and out.strip() == "default/Person@2", err)
    rc, out, err = c("get", "people/john", "--model", "Person", "--revalidate")
    check("revalidate against Person@2 fails", rc == 5 and error_paths(err) == {"/age"}, err)
    rc, out, err = c("get", "people/john", "--model", "Person@1", "--revalidate")
    check("revalidate against Person@1 passes", rc == 0, err)

    print("%d passed, %d failed (pydantic %s, %s)" % (PASSED, FAILED, pydantic.VERSION,
                                                     backend))
    return 0 if FAILED == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
