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

import bisect
import hashlib
import html
import re
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
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
    line: int  # 1-based, for messages (set once all are found)

    @property
    def remote(self) -> bool:
        return is_remote(self.url)


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]{1,31}:")  # two letters at least: C:\ is a Windows path
_ESCAPABLE = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})(.*)$")
_HEADING = re.compile(r"^ {0,3}(?:#{1,6}(?:[ \t]|$)|(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$)")
_SETEXT = re.compile(r"^ {0,3}(?:=+|-+)[ \t]*$")
_LIST_ITEM = re.compile(r"^ {0,3}(?:[-+*]|\d{1,9}[.)])(?:[ \t]|$)")
_DEFINITION = re.compile(r"^ {0,3}\[((?:[^\]\\\n]|\\.){1,999})\]:[ \t]*")
_BLANK = re.compile(r"\n[ \t]*\n")
# Bounds of the scans (characters), so that a hostile file costs linear time: an image's alt text or title,
# a destination (PATH_MAX is 4,096 bytes; a longer link is not a local file's), an <img> tag.
MAX_ALT = 10_000
MAX_DESTINATION = 4_096
MAX_TAG = 8_192
MAX_PARENS = 32  # nested parentheses in a destination: cmark-gfm takes 32, not 33 (measured)
_BRACKETS = re.compile(r"[\\\[\]`]")
_INTERESTING = re.compile(r"[\\`<!]")  # where an inline scan has something to look at
_TICKS = re.compile(r"`+")
_IMG_TAG = re.compile(r"<img(?=[\s/>])", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"""\s*([^\s"'>/=]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'=<>`]+))?""")


def is_remote(url: str) -> bool:
    """A link with a scheme (``https:``, ``data:``, ``mailto:``...), protocol-relative (``//host``),
    a fragment alone or empty: nothing on this machine to read."""
    return not url or bool(_SCHEME.match(url)) or url.startswith(("//", "#"))


_DATA_IMAGE = re.compile(r"data:image/[A-Za-z0-9.+-]{1,40};base64,", re.IGNORECASE)


def is_data_image(url: str) -> bool:
    """An image embedded in the link as base64 (``data:image/png;base64,…``, as dvclive and
    matplotlib notebooks write them): GitHub does not show these in a comment, so mlci hosts them."""
    return bool(_DATA_IMAGE.match(url))


def data_image(url: str, max_bytes: int) -> bytes | None:
    """The bytes of a ``data:image/…;base64,`` link; None when its base64 is not valid or it
    would decode to more than ``max_bytes`` (checked before decoding)."""
    import base64
    import binascii

    found = _DATA_IMAGE.match(url)
    if not found:
        return None
    payload = re.sub(r"\s+", "", url[found.end():])
    if len(payload) * 3 // 4 > max_bytes:
        return None
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return None


def local_path(url: str) -> str:
    """The file a relative link names: its query and fragment dropped, percent-escapes decoded
    (``my%20plot.png`` is ``my plot.png``, as GitHub reads a link in a repository's markdown)."""
    path = re.split(r"[?#]", url, maxsplit=1)[0]
    return urllib.parse.unquote(path)


def find_images(text: str) -> list[ImageRef]:
    """Every image destination in ``text``, in the order they are written."""
    code, html_blocks, breaks = _blocks(text)
    found: list[ImageRef] = []
    labels: set[str] = set()
    breaks = sorted(breaks + [start for start, _ in code])
    for ref in _inline(text, code, html_blocks, breaks, _brackets(text, code, breaks), labels):
        found.append(ref)
    for start, end, label in _definitions(text, code, html_blocks):
        if _normal_label(label) in labels:
            found.append(_definition_ref(text, start, end))
    newlines = [m.start() for m in re.finditer("\n", text)]
    return [replace(ref, line=bisect.bisect_left(newlines, ref.start) + 1) for ref in sorted(found, key=lambda r: r.start)]


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


# --- Blocks: where nothing is an image ---------------------------------------------------------------------------


_QUOTE = re.compile(r"^(?: {0,3}> ?)+")
_HTML_BLOCK_TAGS = frozenset(
    "address article aside base basefont blockquote body caption center col colgroup dd details dialog dir div dl "
    "dt fieldset figcaption figure footer form frame frameset h1 h2 h3 h4 h5 h6 head header hr html iframe legend "
    "li link main menu menuitem nav noframes ol optgroup option p param search section summary table tbody td "
    "tfoot th thead title tr track ul".split())
# CommonMark's HTML blocks (4.6), by how they start: (start, the end on the same or a later line; None: a blank line)
_HTML_RAW = re.compile(r"^ {0,3}<(?:script|pre|style|textarea)(?:\s|>|$)", re.IGNORECASE)
_HTML_RAW_END = re.compile(r"</(?:script|pre|style|textarea)>", re.IGNORECASE)
_HTML_OTHER = ((re.compile(r"^ {0,3}<\?"), "?>"), (re.compile(r"^ {0,3}<![A-Za-z]"), ">"),
               (re.compile(r"^ {0,3}<!\[CDATA\["), "]]>"))
_HTML_TAG_START = re.compile(r"^ {0,3}</?([A-Za-z][A-Za-z0-9-]*)(?=[\s/>]|$)")
_ATTR = r"""(?:\s+[A-Za-z_:][A-Za-z0-9_.:-]*(?:\s*=\s*(?:[^\s"'=<>`]+|'[^']*'|"[^"]*"))?)"""
_HTML_LONE_TAG = re.compile(rf"^ {{0,3}}(?:<[A-Za-z][A-Za-z0-9-]*{_ATTR}*\s*/?>|</[A-Za-z][A-Za-z0-9-]*\s*>)\s*$")

Ranges = list[tuple[int, int]]


def _blocks(text: str) -> tuple[Ranges, Ranges, list[int]]:
    """Where nothing is an image (fenced and indented code blocks, HTML comments), the HTML blocks
    (where ``<img>`` is one, but not ``![...](...)``), and the offsets where a block other than a
    paragraph's next line starts or ends (a code span or a bracket never reaches past one).

    Containers as CommonMark has them, closely enough for images: a line's ``>`` quote markers are
    read past, and so is the indentation of the list item it belongs to (a stack of list items'
    content columns); a paragraph's lazy lines continue it."""
    code: Ranges = []
    html_blocks: Ranges = []
    breaks: list[int] = []
    offset = 0
    fence: tuple[str, int] | None = None  # (character, length) of the open fence
    html_end: str | re.Pattern[str] | None = None  # how the open HTML block ends ("": at a blank line)
    block_start = 0
    block_quoted = False  # the open fence or HTML block is in a block quote
    block_indent = 0  # ... and in list items of this content column
    # What the line before was: a paragraph's ("text", "list") lets no indented code block start after it.
    previous: Literal["blank", "text", "list", "code", "closed", "start"] = "start"
    items: list[int] = []  # the content columns of the open list items, outermost first
    quote_open = False
    quote_items = 0  # how many of ``items`` the open quote holds
    for line in text.splitlines(keepends=True):
        raw = line.rstrip("\r\n").expandtabs(4)  # tabs as the columns they reach, before the markers are read
        end = offset + len(line)
        quoted = bool(_QUOTE.match(raw))
        body = _QUOTE.sub("", raw, count=1)
        if fence is not None or html_end is not None:
            inner = body if block_quoted else raw
            width = len(inner) - len(inner.lstrip(" "))
            left = (block_quoted and not quoted) or (
                block_indent and inner.strip() and width < block_indent)
            if left:  # the quote or the list item holding it ends, and the block with it
                (code if fence is not None or html_end == "-->" else html_blocks).append((block_start, offset))
                fence = html_end = None
                previous = "closed"
            else:
                inner = inner[min(block_indent, width):]
                if fence is not None:
                    match = _FENCE.match(inner)
                    if match and match.group(2)[0] == fence[0] and len(match.group(2)) >= fence[1] \
                            and not match.group(3).strip():
                        code.append((block_start, end))
                        fence, previous = None, "code"
                elif html_end == "" and not inner.strip():
                    html_blocks.append((block_start, offset))
                    html_end, previous = None, "blank"
                elif html_end != "" and html_end is not None and _ends(html_end, inner):
                    (code if html_end == "-->" else html_blocks).append((block_start, end))  # a comment: no <img>
                    html_end, previous = None, "closed"
                offset = end
                continue
        # Containers: the quote, then the list items this line is indented into.
        if quoted and not quote_open:
            breaks.append(offset)  # a block quote starts: a new container, its first block
            quote_open, previous = True, "start"
            if not raw.startswith(" "):
                items.clear()  # an unindented quote ends the lists around it
            quote_items = len(items)
        elif quote_open and not quoted and not _lazy(raw, previous):
            quote_open = False  # the quote ends (only a paragraph's lazy lines keep it open), its lists with it
            del items[quote_items:]
            previous = "closed" if previous != "blank" else previous
        line_text = body if quoted else raw
        if not line_text.strip():
            previous = "blank"
            breaks.append(offset)  # a blank line ends a paragraph
            offset = end
            continue
        if quote_open and not quoted:  # a lazy line: the paragraph in the quote goes on, whatever it looks like
            offset = end
            continue
        width = len(line_text) - len(line_text.lstrip(" "))
        matched = sum(1 for item_column in items if width >= item_column)  # the list items it is indented into
        column = items[matched - 1] if matched else 0
        inner = line_text[column:]
        width -= column
        if matched < len(items):
            if _lazy(inner, previous):  # a paragraph's lazy line: the items stay open
                offset = end
                continue
            del items[matched:]  # dedented: those list items end, and the paragraph in them
            previous = "closed" if previous != "blank" else previous
        match = _FENCE.match(inner)
        html = _html_start(inner, paragraph=previous in ("text", "list"))
        item = _LIST_ITEM.match(inner)
        if match and not (match.group(2)[0] == "`" and "`" in match.group(3)):
            fence, block_start, block_quoted, block_indent = (match.group(2)[0], len(match.group(2))), offset, quoted, column
            breaks.append(offset)
        elif width >= 4 and previous in ("blank", "start", "code", "closed"):
            if code and code[-1][1] == offset and previous == "code":
                code[-1] = (code[-1][0], end)
            else:
                code.append((offset, end))
            previous = "code"
        elif html is not None:
            block_start, block_quoted, block_indent = offset, quoted, column
            breaks.append(offset)
            if html != "" and _ends(html, inner[inner.index("<") + 2:]):
                (code if html == "-->" else html_blocks).append((offset, end))
                previous = "closed"
            else:
                html_end = html
        elif item and not lazy_item(inner, previous):
            marker_end = item.end() if item.group(0)[-1:] in (" ", "\t") else item.end() + 1
            rest = inner[marker_end - 1:] if item.group(0)[-1:] in (" ", "\t") else ""
            spaces = len(rest) - len(rest.lstrip(" "))
            content = marker_end - 1 + (spaces if 1 <= spaces <= 4 and rest.strip() else 1)
            items.append(column + content)
            previous = "list"
            breaks.append(offset)
            # What follows the marker on this line is a block of its own (a fence, a heading, ...).
            tail = inner[content:]
            if _HEADING.match(tail):
                previous = "closed"
                breaks.append(end)
        elif _HEADING.match(inner) or (previous == "text" and _SETEXT.match(inner) and quoted == quote_open):
            previous = "closed"  # a heading ends on its line: what follows may be code
            breaks += [offset, end]
        else:
            previous = "text"
        offset = end
    if fence is not None:  # an unclosed fence runs to the end
        code.append((block_start, len(text)))
    if html_end is not None:
        (code if html_end == "-->" else html_blocks).append((block_start, len(text)))
    breaks += [start for start, _ in html_blocks] + [end for _, end in html_blocks]
    breaks = sorted(set(breaks + [start for start, _ in code] + [end for _, end in code]))
    code.sort()
    return sorted(code + _comments(text, code, breaks)), html_blocks, breaks


def lazy_item(line: str, previous: str) -> bool:
    """A list marker that cannot start an item here: an empty item, or an ordered one not from 1, cannot
    interrupt a paragraph."""
    if previous not in ("text",):
        return False
    match = re.match(r"^ {0,3}(?:([-+*])|(\d{1,9})[.)])(?:[ \t]+(\S))?", line)
    if match is None:
        return False
    if match.group(3) is None:
        return True
    return match.group(2) is not None and match.group(2) != "1"


def _lazy(line: str, previous: str) -> bool:
    """Whether ``line``, unquoted, goes on the paragraph of a block quote (CommonMark's lazy continuation)."""
    expanded = line.expandtabs(4)
    return bool(expanded.strip()) and previous in ("text", "list") and not (
        _FENCE.match(expanded) or _HEADING.match(expanded) or _QUOTE.match(expanded)
        or _LIST_ITEM.match(expanded)  # any list marker ends the laziness, as cmark-gfm reads it
        or _html_start(line, paragraph=True) is not None)


def _html_start(line: str, *, paragraph: bool) -> str | re.Pattern[str] | None:
    """How the HTML block this line starts ends (a text or pattern on a line, or "": a blank line); None: it
    starts none. The lone tag of kind 7 cannot interrupt a paragraph."""
    if _HTML_RAW.match(line):
        return _HTML_RAW_END
    if re.match(r"^ {0,3}<!--", line):
        return "-->"
    for start, end in _HTML_OTHER:
        if start.match(line):
            return end
    tag = _HTML_TAG_START.match(line)
    if tag and tag.group(1).lower() in _HTML_BLOCK_TAGS:
        return ""
    if not paragraph and _HTML_LONE_TAG.match(line):
        return ""
    return None


def _ends(end: str | re.Pattern[str], line: str) -> bool:
    return bool(end.search(line)) if isinstance(end, re.Pattern) else end in line


def _comments(text: str, ranges: Ranges, breaks: Sequence[int]) -> Ranges:
    """The inline HTML comments outside ``ranges``: ``<!-- ... -->`` within a paragraph (one that does
    not close there is text)."""
    out: Ranges = []
    position = 0
    while True:
        start = text.find("<!--", position)
        if start < 0:
            break
        inside = _inside(start, ranges)
        if inside is not None:
            position = inside
            continue
        paragraph_end = _paragraph_end(text, start, _next_break(start, breaks))
        end = text.find("-->", start + 4, paragraph_end)
        if end < 0:
            position = paragraph_end  # no comment closes in this paragraph, from here or later
            continue
        out.append((start, end + 3))
        position = end + 3
    return out


def _inside(offset: int, ranges: Sequence[tuple[int, int]]) -> int | None:
    """The end of the range holding ``offset``, else None (``ranges``: sorted, apart)."""
    at = bisect.bisect_right(ranges, offset, key=lambda r: r[0]) - 1
    return ranges[at][1] if at >= 0 and offset < ranges[at][1] else None


def _definitions(text: str, code: Sequence[tuple[int, int]],
                 html: Sequence[tuple[int, int]]) -> Iterator[tuple[int, int, str]]:
    """Link reference definitions (``[label]: dest``) at the start of a paragraph: the destination's
    offsets and the label."""
    offset = 0
    previous_blank = True
    for line in text.splitlines(keepends=True):
        match = _DEFINITION.match(line)
        if match and previous_blank and _inside(offset, code) is None and _inside(offset, html) is None:
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
    return ImageRef(start, end, _unescape(text[start:end]), "definition", 0)


# --- Inlines ------------------------------------------------------------------------------------------------------


def _inline(text: str, code: Sequence[tuple[int, int]], html_blocks: Sequence[tuple[int, int]],
            breaks: Sequence[int], brackets: Mapping[int, int], labels: set[str]) -> Iterator[ImageRef]:
    """``<img>`` tags outside ``code``, inline images outside ``code`` and ``html_blocks``; the labels of
    reference images go into ``labels``."""
    i, n = 0, len(text)
    while i < n:
        found = _INTERESTING.search(text, i)
        if found is None:
            break
        i = found.start()
        skip = _inside(i, code)
        if skip is not None:
            i = skip
            continue
        char = text[i]
        if char == "\\":
            i += 2
        elif char == "`":
            i = _after_code_span(text, i, _next_break(i, breaks))
        elif char == "<" and _IMG_TAG.match(text, i):
            ref, i = _img_tag(text, i)
            if ref is not None:
                yield ref
        elif char == "!" and text.startswith("[", i + 1) and _inside(i, html_blocks) is None:
            ref, i = _image(text, i, labels, brackets)
            if ref is not None:
                yield ref
        else:
            i += 1


def _next_break(i: int, breaks: Sequence[int]) -> int:
    """The first of ``breaks`` after ``i`` (blank lines among them): the paragraph holding ``i`` ends there at
    the latest. Past the last one, a very large number: the text's end."""
    at = bisect.bisect_right(breaks, i)
    return breaks[at] if at < len(breaks) else 1 << 62


def _paragraph_end(text: str, i: int, limit: int) -> int:
    """Where the paragraph holding ``i`` ends at the latest: ``limit``, the next break (blank lines are
    breaks), or the text's end."""
    return min(limit, len(text))


def _after_code_span(text: str, i: int, limit: int = 1 << 62) -> int:
    """Past the code span opening at ``i``; past its backticks alone when it never closes in its paragraph."""
    run = _TICKS.match(text, i).end() - i  # type: ignore[union-attr]
    ticks = "`" * run
    stop = _paragraph_end(text, i, limit)
    j = i + run
    while True:
        found = text.find(ticks, j, stop)
        if found < 0:
            return i + run  # literal backticks
        end = found + run
        if end < len(text) and text[end] == "`":  # a longer run: not the closing one
            j = _TICKS.match(text, end).end()  # type: ignore[union-attr]
            continue
        return end


def _image(text: str, i: int, labels: set[str], brackets: Mapping[int, int]) -> tuple[ImageRef | None, int]:
    """The image at ``text[i:]`` (``![``...): its inline destination, or its label recorded; and where to go on."""
    close = brackets.get(i + 1)
    if close is None:
        return None, i + 2
    after = close + 1
    if text.startswith("(", after):
        parsed = _destination(text, after + 1)
        if parsed is not None:
            start, end, stop = parsed
            ref = ImageRef(start, end, _unescape(text[start:end]), "inline", 0)
            return (ref if end > start else None), stop
    if text.startswith("[", after):
        label_end = brackets.get(after)
        if label_end is not None:
            label = text[after + 1:label_end]
            labels.add(_normal_label(label or text[i + 2:close]))
            return None, label_end + 1
    labels.add(_normal_label(text[i + 2:close]))  # ![label]: a shortcut reference
    return None, after


def _brackets(text: str, code: Sequence[tuple[int, int]], breaks: Sequence[int]) -> dict[int, int]:
    """Each ``[``'s matching ``]`` within its paragraph (escapes and code spans skipped), found in one pass."""
    matched: dict[int, int] = {}
    stack: list[int] = []
    i, limit = 0, _next_break(0, breaks)
    while True:
        found = _BRACKETS.search(text, i)
        if found is None:
            return matched
        i = found.start()
        skip = _inside(i, code)
        if skip is not None:
            i = skip
            continue
        if i >= limit:  # a new paragraph: what opened before stays unmatched
            stack.clear()
            limit = _next_break(i, breaks)
        char = text[i]
        if char == "\\":
            i += 2
        elif char == "`":
            i = _after_code_span(text, i, limit)
        else:
            if char == "[":
                stack.append(i)
            elif stack:
                matched[stack.pop()] = i
            i += 1


def _destination(text: str, i: int) -> tuple[int, int, int] | None:
    """An inline link's ``dest "title")`` from ``i`` (after the ``(``): the destination's offsets and the
    offset after the ``)``; None when it is not one."""
    n = len(text)
    i = _skip_space(text, i)
    if i < n and text[i] == "<":
        j = i + 1
        stop = min(n, i + MAX_DESTINATION)
        while j < stop and text[j] not in "<>\n":
            j += 2 if text[j] == "\\" else 1
        if j >= n or text[j] != ">":
            return None
        start, end, j = i + 1, j, j + 1
    else:
        start, j, depth = i, i, 0
        stop = min(n, i + MAX_DESTINATION)
        while j < stop:
            char = text[j]
            if char == "\\" and j + 1 < n:
                j += 2
                continue
            if char.isspace() or ord(char) < 0x20:
                break
            if char == "(":
                depth += 1
                if depth > MAX_PARENS:
                    return None
            elif char == ")":
                if depth == 0:
                    break
                depth -= 1
            j += 1
        if depth or j == stop < n:
            return None  # unbalanced, or longer than any file name: not an image of a local file
        end = j
    k = _skip_space(text, j)
    if k < n and text[k] in "\"'(" and k > j:
        closer = ")" if text[k] == "(" else text[k]
        m = k + 1
        stop = min(n, k + MAX_ALT)
        while m < stop and text[m] != closer:
            if text[m] == "\\":
                m += 1
            m += 1
        if m >= stop:
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
    while j - i < MAX_TAG:
        match = _ATTRIBUTE.match(text, j)
        if not match or match.end() == j:
            break
        name, value = match.group(1), match.group(2)
        if name.lower() == "src" and value is not None and ref is None:
            quoted = value[0] in "\"'"
            start = match.start(2) + (1 if quoted else 0)
            end = match.end(2) - (1 if quoted else 0)
            ref = ImageRef(start, end, html.unescape(text[start:end]), "html", 0)
        j = match.end()
    rest = re.compile(r"\s*/?>").match(text, j)
    if rest is None:
        return None, max(j, i + 4)  # not a tag GitHub would read; what it scanned holds none either
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
    # Percent-encode what could end the comment (">": HTML ends one only at "-->" or "--!>") or the quoted
    # value, and every control.
    safe = "".join(c if c.isprintable() and c not in '%"<>&' else urllib.parse.quote(c, safe="") for c in title)
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
        match = _FENCE.match(_QUOTE.sub("", line, count=1).expandtabs(4))
        if not match:
            continue
        char, length = match.group(2)[0], len(match.group(2))
        if fence is None:
            if not (char == "`" and "`" in match.group(3)):
                fence = (char, length)
        elif char == fence[0] and length >= fence[1] and not match.group(3).strip():
            fence = None
    return fence[0] * fence[1] if fence else None
