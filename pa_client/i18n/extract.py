"""The strings of each catalogue domain, as the code and templates mark them (for the catalogue test
and `python -m pa_client.i18n.extract --update`).

A Python module says which domain its strings belong to with a module-level `DOMAIN = "bill"` line,
and marks each string with a call of its translator named `t` (or `N_("…")` where a label is
defined, translated where it is shown): `t("Due {day}", day=…)` or
`t.plural("{count} placement", "{count} placements", n)`. A template (`*.j2`) names its domain in a
first-line comment `{# domain: bill #}` and marks strings the same way, `{{ t("Placements") }}`.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_python
from babel.messages.pofile import read_po, write_po
from jinja2.ext import babel_extract

from pa_client.i18n import DOMAINS, LANGUAGES, LOCALES

PACKAGE = Path(__file__).resolve().parents[1]
KEYWORDS: dict[str, tuple[int, ...] | None] = {"t": None, "N_": None, "plural": (1, 2)}
_PY_DOMAIN = re.compile(r'^DOMAIN(?:: Final)? = "(\w+)"$', re.MULTILINE)
_J2_DOMAIN = re.compile(r"^\{# domain: (\w+) #\}")


@dataclass(frozen=True)
class Message:
    domain: str
    text: str | tuple[str, str]
    where: str


def _domain(path: Path, text: str) -> str | None:
    match = (_J2_DOMAIN if path.suffix == ".j2" else _PY_DOMAIN).search(text)
    return match.group(1) if match else None


def messages(package: Path = PACKAGE) -> Iterator[Message]:
    """Every marked string of the package's modules and templates, with its domain and place."""
    for path in sorted([*package.rglob("*.py"), *package.rglob("*.j2")]):
        text = path.read_text(encoding="utf-8")
        domain = _domain(path, text)
        if domain is None:
            continue
        if domain not in DOMAINS:
            raise ValueError(f"{path}: domain {domain!r} is not one of {', '.join(DOMAINS)}")
        source = io.BytesIO(text.encode("utf-8"))
        found: list[tuple[int, object]] = (
            [(line, message) for line, _f, message, _c in babel_extract(source, list(KEYWORDS), [], {})]
            if path.suffix == ".j2"
            else [(line, message) for line, _f, message, _c in extract_python(source, KEYWORDS, [], {})]
        )
        for line, message in found:
            if isinstance(message, tuple):
                texts = [m for m in message if isinstance(m, str) and m]
                value: str | tuple[str, str] = (texts[0], texts[1]) if len(texts) == 2 else texts[0]
            elif isinstance(message, str) and message:
                value = message
            else:
                continue  # t(variable): a value translated elsewhere
            yield Message(domain, value, f"{path.relative_to(package.parent)}:{line}")


def po_path(lang: str, domain: str, package: Path = PACKAGE) -> Path:
    return package / "i18n" / "locales" / lang / "LC_MESSAGES" / f"{domain}.po"


def read(lang: str, domain: str) -> Catalog:
    path = po_path(lang, domain)
    if not path.exists():
        return Catalog(locale=LOCALES[lang], domain=domain, project="PA Ledger")
    with path.open("rb") as handle:
        return read_po(handle, locale=LOCALES[lang], domain=domain)


def update() -> list[str]:
    """Add every marked string missing from the catalogues (untranslated: the test then says which);
    return them as `domain: text`."""
    added: list[str] = []
    by_domain: dict[str, list[Message]] = {}
    for message in messages():
        by_domain.setdefault(message.domain, []).append(message)
    for lang in LANGUAGES[1:]:
        for domain, found in by_domain.items():
            catalogue = read(lang, domain)
            for message in found:
                key = message.text[0] if isinstance(message.text, tuple) else message.text
                if catalogue.get(key) is None:
                    catalogue.add(message.text, ("", "") if isinstance(message.text, tuple) else "")
                    added.append(f"{domain}: {key}")
            path = po_path(lang, domain)
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as handle:
                write_po(handle, catalogue, width=100, omit_header=False, sort_output=False)
    return added


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The catalogues' strings.")
    parser.add_argument("--update", action="store_true", help="add missing strings to the catalogues")
    args = parser.parse_args(argv)
    if args.update:
        for line in update():
            print(line)
        return 0
    for message in messages():
        print(f"{message.domain}\t{message.where}\t{message.text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
