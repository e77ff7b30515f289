"""Write the template projects to resources/templates (run after changing templates.py)."""

from pathlib import Path

from nnstudio.core.templates import TEMPLATES, build_template

OUT = Path(__file__).resolve().parent.parent / "resources" / "templates"

if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for key in TEMPLATES:
        path = build_template(key).save(OUT / f"{key}.nnstudio")
        print(path)
