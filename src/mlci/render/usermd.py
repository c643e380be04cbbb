"""A user's own markdown report (``mlci comment create FILE``): its image references found and
rewritten, the comment's hidden marker, CML's watermark, and the body fitted into GitHub's limit.

Pure: text in, text out. The file is the user's and is posted as written; the only change is
the destination of an image whose file is hosted, replaced where it stands (the alt text, the
title, the spacing and everything around it kept). What counts as an image:

- ``![alt](dest)``, ``![alt](dest "title")``, ``![alt](<dest with spaces>)`` (CommonMark's
  inline image, its destination's parentheses balanced, backslash escapes honoured);
- ``![alt][label]``, ``![alt][]``, ``![label]`` and the definition ``[label]: dest`` they use
  (only a definition an image uses: a definition only links use is left alone);
- ``<img src="dest">`` (any quoting, in HTML or inline).

Nothing inside fenced or indented code blocks, code spans or HTML comments is an image: an
example in a code block stays as written. Links that are not images (``[text](file.csv)``) are
left alone.
"""

from __future__ import annotations

import hashlib
import html
import re
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from mlci.render.escape import md_code

COMMENT_LIMIT = 65_536  # characters of a GitHub comment body
MARKER_PREFIX = "<!-- mlci:comment"

# --- Image references -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageRef:
    """Where one image's destination is written: ``text[start:end]`` is the destination as written
    (inside the angle brackets or quotes, if any), ``url`` the link it means (escapes decoded)."""

    start: int
    end: int
    url: str
    kind: Literal["inline", "definition", "html"]
    line: int  # 1-based, for messages

    @property
    def remote(self) -> bool:
        return is_remote(self.url)


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]{1,31}:")  # two letters at least: C:\ is a Windows path
_ESCAPABLE = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})(.*)$")
_LIST_ITEM = re.compile(r"^ {0,3}(?:[-+*]|\d{1,9}[.)])(?:[ \t]|$)")
_DEFINITION = re.compile(r"^ {0,3}\[((?:[^\]\\\n]|\\.){1,999})\]:[ \t]*")
_BLANK = re.compile(r"\n[ \t]*\n")
_IMG_TAG = re.compile(r"<img(?=[\s/>])", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"""\s*([^\s"'>/=]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'=<>`]+))?""")


def is_remote(url: str) -> bool:
    """A link with a scheme (``https:``, ``data:``, ``mailto:``...), protocol-relative (``//host``),
    a fragment alone or empty: nothing on this machine to read."""
    return not url or bool(_SCHEME.match(url)) or url.startswith(("//", "#"))


def local_path(url: str) -> str:
    """The file a relative link names: its query and fragment dropped, percent-escapes decoded
    (``my%20plot.png`` is ``my plot.png``, as GitHub reads a link in a repository's markdown)."""
    path = re.split(r"[?#]", url, maxsplit=1)[0]
    return urllib.parse.unquote(path)


def find_images(text: str) -> list[ImageRef]:
    """Every image destination in ``text``, in the order they are written."""
    code = _code_ranges(text)
    found: list[ImageRef] = []
    labels: set[str] = set()
    for ref in _inline(text, code, labels):
        found.append(ref)
    for start, end, label in _definitions(text, code):
        if _normal_label(label) in labels:
            found.append(_definition_ref(text, start, end))
    return sorted(found, key=lambda r: r.start)


def rewrite(text: str, urls: Mapping[ImageRef, str]) -> str:
    """``text`` with each image's destination in ``urls`` replaced by its new URL, nothing else changed."""
    out, last = [], 0
    for ref in sorted(urls, key=lambda r: r.start):
        out += [text[last:ref.start], _written(urls[ref], ref.kind)]
        last = ref.end
    out.append(text[last:])
    return "".join(out)


def _written(url: str, kind: str) -> str:
    if kind == "html":
        return html.escape(url, quote=True)
    # A hosted URL has no space, no control and no angle bracket; parentheses would end a raw destination.
    return url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")


def _unescape(raw: str) -> str:
    """A destination as written, its backslash escapes and entity references decoded (CommonMark)."""
    text = re.sub(r"\\(.)", lambda m: m.group(1) if m.group(1) in _ESCAPABLE else m.group(0), raw)
    return _ENTITY.sub(lambda m: html.unescape(m.group(0)), text)


def _normal_label(label: str) -> str:
    return " ".join(label.split()).casefold()


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


# --- Blocks: where nothing is an image ---------------------------------------------------------------------------


def _code_ranges(text: str) -> list[tuple[int, int]]:
    """Offsets of fenced and indented code blocks and HTML comments, in order."""
    ranges: list[tuple[int, int]] = []
    offset = 0
    fence: tuple[str, int] | None = None  # (character, length) of the open fence
    fence_start = 0
    previous: Literal["blank", "text", "list", "code", "start"] = "start"
    in_list = False
    lines = text.splitlines(keepends=True)
    for line in lines:
        body = line.rstrip("\r\n")
        expanded = body.expandtabs(4)
        stripped = expanded.strip()
        if fence is not None:
            match = _FENCE.match(expanded)
            if match and match.group(2)[0] == fence[0] and len(match.group(2)) >= fence[1] and not match.group(3).strip():
                ranges.append((fence_start, offset + len(line)))
                fence = None
                previous = "code"
            offset += len(line)
            continue
        match = _FENCE.match(expanded)
        if match and not (match.group(2)[0] == "`" and "`" in match.group(3)):
            fence, fence_start = (match.group(2)[0], len(match.group(2))), offset
        elif not stripped:
            previous = "blank"
        elif (len(expanded) - len(expanded.lstrip(" ")) >= 4 and previous in ("blank", "start", "code")
              and not in_list):
            if ranges and ranges[-1][1] == offset and previous == "code":
                ranges[-1] = (ranges[-1][0], offset + len(line))
            else:
                ranges.append((offset, offset + len(line)))
            previous = "code"
        elif _LIST_ITEM.match(expanded):
            in_list, previous = True, "list"
        else:
            if not expanded.startswith((" ", "\t")) and previous == "blank":
                in_list = False
            previous = "text"
        offset += len(line)
    if fence is not None:  # an unclosed fence runs to the end
        ranges.append((fence_start, len(text)))
    return _with_comments(text, ranges)


def _with_comments(text: str, ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``ranges`` and the HTML comments outside them (``<!-- ... -->``; unclosed: to the end)."""
    out = list(ranges)
    position = 0
    while True:
        start = text.find("<!--", position)
        if start < 0:
            break
        inside = _inside(start, ranges)
        if inside is not None:
            position = inside
            continue
        end = text.find("-->", start + 4)
        end = len(text) if end < 0 else end + 3
        out.append((start, end))
        position = end
    return sorted(out)


def _inside(offset: int, ranges: Sequence[tuple[int, int]]) -> int | None:
    """The end of the range holding ``offset``, else None."""
    for start, end in ranges:
        if start <= offset < end:
            return end
        if start > offset:
            break
    return None


def _definitions(text: str, code: Sequence[tuple[int, int]]) -> Iterator[tuple[int, int, str]]:
    """Link reference definitions (``[label]: dest``) at the start of a paragraph: the destination's
    offsets and the label."""
    offset = 0
    previous_blank = True
    for line in text.splitlines(keepends=True):
        match = _DEFINITION.match(line)
        if match and previous_blank and _inside(offset, code) is None:
            start = offset + match.end()
            rest = line[match.end():].rstrip("\r\n")
            if rest.startswith("<"):
                close = rest.find(">")
                if close > 0:
                    yield start + 1, start + close, match.group(1)
            elif rest:
                length = len(rest.split()[0])
                yield start, start + length, match.group(1)
            previous_blank = True  # another definition may follow
        else:
            previous_blank = not line.strip()
        offset += len(line)


def _definition_ref(text: str, start: int, end: int) -> ImageRef:
    return ImageRef(start, end, _unescape(text[start:end]), "definition", _line(text, start))


# --- Inlines ------------------------------------------------------------------------------------------------------


def _inline(text: str, code: Sequence[tuple[int, int]], labels: set[str]) -> Iterator[ImageRef]:
    """Inline images and ``<img>`` tags outside ``code``; the labels of reference images go into ``labels``."""
    i, n = 0, len(text)
    while i < n:
        skip = _inside(i, code)
        if skip is not None:
            i = skip
            continue
        char = text[i]
        if char == "\\":
            i += 2
        elif char == "`":
            i = _after_code_span(text, i)
        elif char == "<" and _IMG_TAG.match(text, i):
            ref, i = _img_tag(text, i)
            if ref is not None:
                yield ref
        elif char == "!" and text.startswith("[", i + 1):
            ref, i = _image(text, i, labels)
            if ref is not None:
                yield ref
        else:
            i += 1


def _after_code_span(text: str, i: int) -> int:
    """Past the code span opening at ``i``; past its backticks alone when it never closes."""
    run = len(text[i:]) - len(text[i:].lstrip("`"))
    ticks = "`" * run
    limit = _BLANK.search(text, i)
    stop = limit.start() if limit else len(text)
    j = i + run
    while True:
        found = text.find(ticks, j, stop)
        if found < 0:
            return i + run  # literal backticks
        end = found + run
        if end < len(text) and text[end] == "`":  # a longer run: not the closing one
            j = end + (len(text[end:]) - len(text[end:].lstrip("`")))
            continue
        return end


def _image(text: str, i: int, labels: set[str]) -> tuple[ImageRef | None, int]:
    """The image at ``text[i:]`` (``![``...): its inline destination, or its label recorded; and where to go on."""
    close = _closing_bracket(text, i + 1)
    if close is None:
        return None, i + 2
    after = close + 1
    if text.startswith("(", after):
        parsed = _destination(text, after + 1)
        if parsed is not None:
            start, end, stop = parsed
            ref = ImageRef(start, end, _unescape(text[start:end]), "inline", _line(text, start))
            return (ref if end > start else None), stop
    if text.startswith("[", after):
        label_end = _closing_bracket(text, after)
        if label_end is not None:
            label = text[after + 1:label_end]
            labels.add(_normal_label(label or text[i + 2:close]))
            return None, label_end + 1
    labels.add(_normal_label(text[i + 2:close]))  # ![label]: a shortcut reference
    return None, after


def _closing_bracket(text: str, i: int) -> int | None:
    """The ``]`` matching the ``[`` at ``i`` (escapes and code spans skipped), within its paragraph."""
    depth, j = 0, i
    limit = _BLANK.search(text, i)
    stop = limit.start() if limit else len(text)
    while j < stop:
        char = text[j]
        if char == "\\":
            j += 2
            continue
        if char == "`":
            j = _after_code_span(text, j)
            continue
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return j
        j += 1
    return None


def _destination(text: str, i: int) -> tuple[int, int, int] | None:
    """An inline link's ``dest "title")`` from ``i`` (after the ``(``): the destination's offsets and the
    offset after the ``)``; None when it is not one."""
    n = len(text)
    i = _skip_space(text, i)
    if i < n and text[i] == "<":
        j = i + 1
        while j < n and text[j] not in "<>\n":
            j += 2 if text[j] == "\\" else 1
        if j >= n or text[j] != ">":
            return None
        start, end, j = i + 1, j, j + 1
    else:
        start, j, depth = i, i, 0
        while j < n:
            char = text[j]
            if char == "\\" and j + 1 < n:
                j += 2
                continue
            if char.isspace() or ord(char) < 0x20:
                break
            if char == "(":
                depth += 1
            elif char == ")":
                if depth == 0:
                    break
                depth -= 1
            j += 1
        if depth:
            return None
        end = j
    k = _skip_space(text, j)
    if k < n and text[k] in "\"'(" and k > j:
        closer = ")" if text[k] == "(" else text[k]
        m = k + 1
        while m < n and text[m] != closer:
            if text[m] == "\\":
                m += 1
            m += 1
        if m >= n:
            return None
        k = _skip_space(text, m + 1)
    if k < n and text[k] == ")":
        return start, end, k + 1
    return None


def _skip_space(text: str, i: int) -> int:
    """Past spaces and tabs and at most one line ending."""
    newline = False
    while i < len(text) and text[i] in " \t\r\n":
        if text[i] == "\n":
            if newline:
                break
            newline = True
        i += 1
    return i


def _img_tag(text: str, i: int) -> tuple[ImageRef | None, int]:
    """The ``src`` of the ``<img ...>`` tag at ``i``, and the offset after the tag."""
    j = i + 4
    ref = None
    while True:
        match = _ATTRIBUTE.match(text, j)
        if not match or match.end() == j:
            break
        name, value = match.group(1), match.group(2)
        if name.lower() == "src" and value is not None and ref is None:
            quoted = value[0] in "\"'"
            start = match.start(2) + (1 if quoted else 0)
            end = match.end(2) - (1 if quoted else 0)
            ref = ImageRef(start, end, html.unescape(text[start:end]), "html", _line(text, start))
        j = match.end()
    rest = re.compile(r"\s*/?>").match(text, j)
    if rest is None:
        return None, i + 4  # not a tag GitHub would read
    return ref, rest.end()


# --- Images' bytes ------------------------------------------------------------------------------------------------

ImageType = Literal["png", "jpeg", "gif", "svg"]
_SVG_LEAD = re.compile(rb"^(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*\?>\s*)?(?:(?:<!--.*?-->|<!DOCTYPE[^>]*>)\s*)*<svg[\s>]",
                       re.DOTALL | re.IGNORECASE)


def image_type(data: bytes) -> ImageType | None:
    """What the bytes are, by their signature (not their name): PNG, JPEG, GIF or SVG; else None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if _SVG_LEAD.match(data[:4096]):
        return "svg"
    return None


def asset_name(path: str, data: bytes, kind: ImageType) -> str:
    """A name for the hosted copy: the file's stem made safe, a digest of its bytes (the same
    bytes, one name; changed bytes, a new URL that no cache has seen) and its type's extension."""
    stem = path.replace("\\", "/").rsplit("/", 1)[-1]
    stem = stem.rsplit(".", 1)[0] if "." in stem.lstrip(".") else stem
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("._-")[:60] or "image"
    digest = hashlib.sha256(data).hexdigest()[:12]
    return f"{safe}-{digest}.{'jpg' if kind == 'jpeg' else kind}"


# --- The comment: marker, CML's watermark, notes, size -----------------------------------------------------------


def expand_title(title: str, workflow: str | None, run: str | None) -> str:
    """``--watermark-title`` with CML's placeholders replaced: ``{workflow}`` and ``{run}``."""
    return title.replace("{workflow}", workflow or "").replace("{run}", run or "")


def marker(title: str) -> str:
    """The hidden first line that finds the comment again: one per watermark title."""
    if not title:
        return f"{MARKER_PREFIX} -->"
    # Percent-encode what could end the comment or the quoted value, and every control.
    safe = "".join(c if c.isprintable() and c not in '%"<>-&' else urllib.parse.quote(c, safe="") for c in title)
    return f'{MARKER_PREFIX} title="{safe}" -->'


def cml_watermark(title: str) -> re.Pattern[str]:
    """CML's watermark for ``--watermark-title title`` (already expanded), whatever commit it names:
    ``![](https://cml.dev/watermark.png#<sha> "CML watermark <title>")``, with the backslashes CML
    puts before ``_ * [ <`` (bin/cml src/watermark.js) optional."""
    full = f"CML watermark {title}".strip()
    escaped = "".join((r"\\?" + re.escape(c)) if c in "_*[<" else re.escape(c) for c in full)
    return re.compile(r'!\[\]\(https://cml\.dev/watermark\.png#[0-9a-fA-F]+ "' + escaped + r'"\)')


def note_lines(notes: Sequence[str]) -> str:
    """mlci's lines at the end of the comment, after a rule: what it did not show, and why."""
    if not notes:
        return ""
    # A line break in a comment is one on GitHub: a line per note.
    return "\n\n---\n" + "\n".join(f"<sub>mlci: {note}</sub>" for note in notes)


def path_text(path: str) -> str:
    """A user's path, shown in a note: code, escaped."""
    return md_code(path)


def fits(mark: str, markdown: str, notes: Sequence[str], budget: int = COMMENT_LIMIT) -> bool:
    """Whether the comment :func:`compose` makes holds the whole markdown."""
    return len(mark) + 1 + len(markdown) + len(note_lines(notes)) <= budget


def compose(mark: str, markdown: str, notes: Sequence[str], *, budget: int = COMMENT_LIMIT, whole: str = "") -> str:
    """The comment: ``mark`` on the first line, the markdown, mlci's notes; within ``budget`` characters.
    Markdown that does not fit is cut at the end of a line, with a note that the whole report is ``whole``."""
    footer = note_lines(notes)
    room = budget - len(mark) - 1 - len(footer)
    if len(markdown) > room:
        note = (f"> **mlci:** the report is {len(markdown):,} characters, over the {budget:,} a GitHub comment "
                f"holds; it is cut here.{f' The whole report is {whole}.' if whole else ''}")
        markdown = trim(markdown, room, note)
    return f"{mark}\n{markdown}{footer}"


def trim(text: str, budget: int, note: str) -> str:
    """``text`` when it fits ``budget`` characters; else cut at the end of a line, a code fence left
    open closed again, with ``note`` (a paragraph) after it, all within ``budget``."""
    if len(text) <= budget:
        return text
    tail = f"\n\n{note}"
    room = budget - len(tail) - 8  # a fence's closing line may be added
    if room <= 0:
        return note[:budget]
    cut = text.rfind("\n", 0, room + 1)
    cut = room if cut <= 0 else cut
    kept = text[:cut]
    fence = _open_fence(kept)
    if fence:
        kept += "\n" + fence
    return kept + tail


def _open_fence(text: str) -> str | None:
    """The closing line of a fenced code block ``text`` leaves open, else None."""
    fence: tuple[str, int] | None = None
    for line in text.splitlines():
        match = _FENCE.match(line.expandtabs(4))
        if not match:
            continue
        char, length = match.group(2)[0], len(match.group(2))
        if fence is None:
            if not (char == "`" and "`" in match.group(3)):
                fence = (char, length)
        elif char == fence[0] and length >= fence[1] and not match.group(3).strip():
            fence = None
    return fence[0] * fence[1] if fence else None
