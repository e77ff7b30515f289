"""Write the template projects to resources/templates and the example to resources/examples
(run after changing nnstudio/core/templates.py; the output is deterministic)."""

from pathlib import Path

from nnstudio.core.templates import SAMPLES, TEMPLATES, build_example, build_template

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
OUT = RESOURCES / "templates"
EXAMPLE = RESOURCES / "examples" / "digits_cnn.nnstudio"

if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for key in TEMPLATES:
        path = build_template(key, SAMPLES).save(OUT / f"{key}.nnstudio")
        print(path)
    print(build_example().save(EXAMPLE))
