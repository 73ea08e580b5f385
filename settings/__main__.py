"""Prints the README's configuration tables, generated from the settings.

python -m settings            # every group's table
python -m settings --readme   # rewrites the tables inside README.md in place
"""

import argparse
import re

from settings import GROUPS, ROOT, readme_table

# A block's body is whole lines (possibly none) up to its end marker.
BLOCK = re.compile(r"(<!-- settings:(\w+) -->\n)(?:(?!<!-- ).*\n)*?(<!-- /settings -->)")


def readme_with_tables(text: str) -> str:
    return BLOCK.sub(
        lambda match: match.group(1) + readme_table(match.group(2)) + "\n" + match.group(3), text
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--readme", action="store_true", help="rewrite the tables in README.md")
    args = parser.parse_args()
    if args.readme:
        path = ROOT / "README.md"
        path.write_text(readme_with_tables(path.read_text(encoding="utf-8")), encoding="utf-8")
        print(f"==> configuration tables in {path.name} regenerated")
        return
    for group in GROUPS:
        print(f"<!-- settings:{group} -->\n{readme_table(group)}\n<!-- /settings -->\n")


if __name__ == "__main__":
    main()
