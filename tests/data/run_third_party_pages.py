"""Run the third-party pseudo-code of lectures 5.3, 5.5, 8.2 and 8.3 in a throw-away venv per package.

Not a test of the suite: the project does not install these packages (Feast 0.67 even requires
pandas < 3, which the project does not use). Run it when you change that code or move it to a new
version, then update ``third_party_names.yaml``::

    python -m venv /tmp/gxvenv && /tmp/gxvenv/bin/pip install great_expectations==1.24.1
    /tmp/gxvenv/bin/python tests/data/run_third_party_pages.py great_expectations
    python -m venv /tmp/feastvenv && /tmp/feastvenv/bin/pip install feast==0.67.0
    /tmp/feastvenv/bin/python tests/data/run_third_party_pages.py feast
    python -m venv /tmp/deltavenv && /tmp/deltavenv/bin/pip install deltalake==1.6.6 pandas pyarrow
    /tmp/deltavenv/bin/python tests/data/run_third_party_pages.py deltalake
    python -m venv /tmp/lakefsvenv && /tmp/lakefsvenv/bin/pip install lakefs==0.16.0
    /tmp/lakefsvenv/bin/python tests/data/run_third_party_pages.py lakefs
    python -m venv /tmp/cloudvenv && /tmp/cloudvenv/bin/pip install boto3==1.44.18 google-cloud-aiplatform==2.7.0
    /tmp/cloudvenv/bin/python tests/data/run_third_party_pages.py boto3
    /tmp/cloudvenv/bin/python tests/data/run_third_party_pages.py google-cloud-aiplatform

The lakeFS code needs a lakeFS server, which the course does not run: its calls that would reach
the server are replaced by autospec mocks, which refuse any argument the real method's signature
does not accept, so that run checks the names and arguments, not the server's answers. The same
holds for lecture 8.3's clouds: the SageMaker calls go to botocore's ``Stubber``, which validates
every request against the service's API model (parameter names, types, required members; the run
checks enum values such as ``ModelApprovalStatus`` itself), and the Vertex AI calls that would reach
Google Cloud are autospec mocks.

It prints what the code returned and exits 0 when it ran and gave the expected answer.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import textwrap
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OPEN = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,})python\b")


def fences(lecture: str) -> list[str]:
    """The ``# pseudo-code`` Python fences of one lecture, dedented."""
    lines = next((ROOT / "docs" / "course").glob(f"*/{lecture}-*.md")).read_text(encoding="utf-8").splitlines()
    found, index = [], 0
    while index < len(lines):
        match = OPEN.match(lines[index])
        index += 1
        if match:
            body = []
            while lines[index].strip() != match.group("fence"):
                body.append(lines[index])
                index += 1
            code = textwrap.dedent("\n".join(body))
            if code.lstrip().startswith("# pseudo-code"):
                found.append(code)
    return found


def run_gx() -> None:
    """Lecture 5.3: validate four tenures, one out of range; the validation must fail on that one."""
    import pandas as pd

    scope = {"frame": pd.DataFrame({"tenure": [0, 12, 72, 340]})}
    exec(fences("5.3")[0], scope)  # the page's own code, in a throw-away venv
    result = scope["result"]
    print("success:", result.success, "unexpected:", result.results[0].result["partial_unexpected_list"])
    assert result.success is False and result.results[0].result["partial_unexpected_list"] == [340]


def run_feast() -> None:
    """Lecture 5.5: apply the definitions, then the point-in-time value of 1 May must be 1, not 8."""
    import pandas as pd

    definitions, retrieval = fences("5.5")
    with tempfile.TemporaryDirectory() as folder:
        repo = Path(folder) / "feature_repo"
        (repo / "data").mkdir(parents=True)
        (repo / "feature_store.yaml").write_text("project: churn\nregistry: data/registry.db\nprovider: local\n"
                                                 "online_store:\n  type: sqlite\n  path: data/online.db\n"
                                                 "entity_key_serialization_version: 3\n")
        (repo / "features.py").write_text(definitions)
        calls = pd.DataFrame({"customerID": ["7590-VHVEG"] * 3,
                              "event_timestamp": pd.to_datetime(["2026-04-20", "2026-04-27", "2026-05-04"], utc=True),
                              "support_calls_30d": pd.Series([1, 1, 8], dtype="int64")})
        calls.to_parquet(repo / "data" / "support_calls.parquet")
        subprocess.run([str(Path(sys.executable).parent / "feast"), "apply"], cwd=repo, check=True)
        labels = pd.DataFrame({"customerID": ["7590-VHVEG"], "churned": [1],
                               "event_timestamp": pd.to_datetime(["2026-05-01"], utc=True)})
        previous = Path.cwd()
        os.chdir(folder)
        try:
            scope = {"labels": labels}
            exec(retrieval, scope)  # the page's own code, in a throw-away venv
        finally:
            os.chdir(previous)
    value = int(scope["training"]["support_calls_30d"].iloc[0])
    print("point-in-time value on 1 May:", value, "online:", scope["online"])
    assert value == 1


def run_deltalake() -> None:
    """Lecture 8.2: write January, overwrite with February; version 0 must give January's rows back."""
    import pandas as pd

    january = pd.DataFrame({"customerID": ["7590-VHVEG", "5575-GNVDE"], "MonthlyCharges": [29.85, 56.95]})
    february = pd.DataFrame({"customerID": ["7590-VHVEG", "5575-GNVDE", "3668-QPYBK"],
                             "MonthlyCharges": [29.85, 59.90, 53.85]})
    previous = Path.cwd()
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        try:
            scope = {"january": january, "february": february}
            exec(fences("8.2")[0], scope)  # the page's own code, in a throw-away venv
        finally:
            os.chdir(previous)
    print("version 0:", scope["trained_on"].to_dict("records"))
    print("history:", [(entry["version"], entry["operation"]) for entry in scope["history"]])
    pd.testing.assert_frame_equal(scope["trained_on"], january)
    assert [entry["version"] for entry in scope["history"]] == [1, 0]


def run_lakefs() -> None:
    """Lecture 8.2: the branch, upload, commit and merge, every call that reaches the server an autospec mock."""
    from unittest import mock

    import lakefs
    from lakefs.branch import Branch
    from lakefs.object import WriteableObject

    os.environ |= {"LAKECTL_SERVER_ENDPOINT_URL": "http://127.0.0.1:1", "LAKECTL_CREDENTIALS_ACCESS_KEY_ID": "key",
                   "LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY": "secret"}  # a client is made; nothing is sent
    returns_self = {"side_effect": lambda self, *args, **kwargs: self}
    with mock.patch.object(Branch, "create", autospec=True, **returns_self) as create, \
            mock.patch.object(WriteableObject, "upload", autospec=True, **returns_self) as upload, \
            mock.patch.object(Branch, "commit", autospec=True) as commit, \
            mock.patch.object(Branch, "merge_into", autospec=True) as merge_into:
        exec(fences("8.2")[1], {"export": b"parquet bytes", "lakefs": lakefs})  # the page's own code
    print("create:", create.call_args.kwargs, "commit:", commit.call_args.kwargs)
    (branch,), _ = create.call_args
    assert (branch.repo_id, branch.id) == ("churn-data", "export-2026-12")
    assert create.call_args.kwargs == {"source_reference": "main"} and upload.call_count == 1
    assert merge_into.call_args.args[1].id == "main"


def _check_enums(params: dict, model, **_: object) -> None:
    """Refuse a top-level string parameter whose value is not one of its shape's enum values."""
    for name, value in params.items():
        shape = model.input_shape.members.get(name)
        if shape is not None and getattr(shape, "enum", None) and value not in shape.enum:
            raise ValueError(f"{model.name}: {name}={value!r} is not one of {shape.enum}")


def run_boto3() -> None:
    """Lecture 8.3: register, approve and find churn v2 in SageMaker, every request validated by botocore."""
    from unittest import mock

    import boto3
    from botocore.stub import Stubber

    client = boto3.client("sagemaker", region_name="eu-west-1", aws_access_key_id="key", aws_secret_access_key="secret")
    client.meta.events.register("provide-client-params.sagemaker.*", _check_enums)
    group = "arn:aws:sagemaker:eu-west-1:123456789012:model-package-group/churn"
    package = "arn:aws:sagemaker:eu-west-1:123456789012:model-package/churn/2"
    with Stubber(client) as stubber:  # requests are validated against the API model, then answered here
        stubber.add_response("create_model_package_group", {"ModelPackageGroupArn": group})
        stubber.add_response("create_model_package", {"ModelPackageArn": package})
        stubber.add_response("update_model_package", {"ModelPackageArn": package})
        stubber.add_response("list_model_packages", {"ModelPackageSummaryList": [
            {"ModelPackageName": "churn", "ModelPackageGroupName": "churn", "ModelPackageVersion": 2,
             "ModelPackageArn": package, "CreationTime": "2026-12-06T12:00:00Z", "ModelPackageStatus": "Completed",
             "ModelApprovalStatus": "Approved"}]})
        scope = {"image_uri": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/churn:2"}
        with mock.patch.object(boto3, "client", return_value=client):
            exec(fences("8.3")[0], scope)  # the page's own code
        stubber.assert_no_pending_responses()
    newest = scope["newest"]["ModelPackageSummaryList"][0]
    print("newest approved:", newest["ModelPackageVersion"], newest["ModelApprovalStatus"])
    assert newest["ModelPackageVersion"] == 2


def run_aiplatform() -> None:
    """Lecture 8.3: upload churn v2 as a version with aliases; every call that reaches Google Cloud an autospec mock."""
    from unittest import mock

    from google.cloud import aiplatform
    from google.cloud.aiplatform.models import ModelRegistry

    uploaded = mock.create_autospec(aiplatform.Model, instance=True, version_id="2")
    with mock.patch.object(aiplatform.Model, "upload", autospec=True, return_value=uploaded) as upload, \
            mock.patch.object(ModelRegistry, "__init__", autospec=True, return_value=None) as registry, \
            mock.patch.object(ModelRegistry, "add_version_aliases", autospec=True) as add_aliases, \
            mock.patch.object(aiplatform.Model, "__init__", autospec=True, return_value=None) as get_model:
        exec(fences("8.3")[1], {"image_uri": "europe-docker.pkg.dev/acme-ml/churn/churn:2"})  # the page's own code
    print("upload:", upload.call_args.kwargs)
    print("aliases:", add_aliases.call_args.kwargs, "model:", get_model.call_args.args[1:])
    assert upload.call_args.kwargs["version_aliases"] == ["challenger"]
    assert upload.call_args.kwargs["is_default_version"] is False
    assert registry.call_args.args[1] is uploaded
    assert add_aliases.call_args.kwargs == {"new_aliases": ["champion"], "version": "2"}
    assert get_model.call_args.args[1].endswith("/models/churn@champion")


if __name__ == "__main__":
    package = sys.argv[1] if len(sys.argv) > 1 else ""
    runners = {"great_expectations": run_gx, "feast": run_feast, "deltalake": run_deltalake, "lakefs": run_lakefs,
               "boto3": run_boto3, "google-cloud-aiplatform": run_aiplatform}
    if package not in runners:
        sys.exit(f"usage: run_third_party_pages.py {{{'|'.join(runners)}}}")
    print(f"{package}=={version(package)}")
    runners[package]()
