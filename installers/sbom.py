"""Write a CycloneDX SBOM of a bundle, made by cyclonedx-py and cut to the bundle's contents.

    python installers/sbom.py BUNDLE_DIR OUT.json

`cyclonedx-py environment` describes every distribution of the build interpreter (the one
running this), test tools included. The bundle holds only some of them, so the components
are cut to the distributions installers/bundle_contents.py finds in the bundle (the same
list the third-party notices are written from) and the dependency graph to those. The root
component is Calmline at the version of installers/version.py. The result is validated
against the CycloneDX schema before it is written; an invalid SBOM exits 1."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bundle_contents
from bundle_contents import canonical
from version import version

ROOT = Path(__file__).resolve().parents[1]
SPEC_VERSION = "1.6"


def environment_bom() -> dict[str, Any]:
    """cyclonedx-py's SBOM of this interpreter's environment, Calmline's pyproject as root."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "environment.cdx.json"
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "cyclonedx_py",
                "environment",
                "--pyproject",
                str(ROOT / "pyproject.toml"),
                "--mc-type",
                "application",
                "--sv",
                SPEC_VERSION,
                "--output-reproducible",
                "--of",
                "JSON",
                "-o",
                str(out),
                sys.executable,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if run.returncode != 0:
            raise SystemExit(f"sbom: cyclonedx-py environment failed:\n{run.stderr[-3000:]}")
        return json.loads(out.read_text(encoding="utf-8"))


def cut_to(bom: dict[str, Any], names: set[str], calmline_version: str) -> dict[str, Any]:
    """BOM with only the components named (canonical names) and Calmline's version on the
    root; every dependency edge to a dropped component is dropped with it."""
    missing = names - {canonical(c["name"]) for c in bom.get("components", [])}
    if missing:
        raise SystemExit(f"sbom: cyclonedx-py did not list bundled {sorted(missing)}")
    kept = [c for c in bom.get("components", []) if canonical(c["name"]) in names]
    root = bom["metadata"]["component"]
    root["name"] = "Calmline"
    root["version"] = calmline_version
    refs = {c["bom-ref"] for c in kept} | {root["bom-ref"]}
    dependencies = [
        {**d, "dependsOn": [r for r in d.get("dependsOn", []) if r in refs]}
        for d in bom.get("dependencies", [])
        if d["ref"] in refs
    ]
    for dep in dependencies:
        if not dep["dependsOn"]:
            del dep["dependsOn"]
    return {**bom, "components": kept, "dependencies": dependencies}


def validate(text: str) -> None:
    """Exit 1 with the schema error unless TEXT is a valid CycloneDX JSON document."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    schema = SchemaVersion.from_version(SPEC_VERSION)
    error = JsonStrictValidator(schema).validate_str(text)
    if error is not None:
        raise SystemExit(f"sbom: not a valid CycloneDX {SPEC_VERSION} document: {error}")


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: sbom.py BUNDLE_DIR OUT.json", file=sys.stderr)
        return 2
    bundle, out = Path(argv[1]), Path(argv[2])
    contents = bundle_contents.read(bundle)
    bom = cut_to(environment_bom(), set(contents.distributions), version())
    text = json.dumps(bom, indent=2, sort_keys=False) + "\n"
    validate(text)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"{out}: CycloneDX {SPEC_VERSION}, {len(bom['components'])} components")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
