"""mlci.render.usermd: a user's markdown, its images found and rewritten, the marker, CML's watermark, the size."""

from __future__ import annotations

import re
import urllib.parse

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlci.render.usermd import (
    COMMENT_LIMIT,
    asset_name,
    cml_watermark,
    compose,
    expand_title,
    find_images,
    fits,
    image_type,
    is_remote,
    local_path,
    marker,
    note_lines,
    rewrite,
    trim,
)

CML_REPORT = """# Model report

## Metrics
| metric | value |
|--------|-------|
| acc    | 0.91  |

![](./plot.png)
![confusion matrix](confusion_matrix.png "Confusion matrix")

![](https://cml.dev/watermark.png#0123abcd "CML watermark")
"""


def written(text: str) -> list[str]:
    return [text[r.start:r.end] for r in find_images(text)]


def test_a_cml_report_has_its_two_local_images_and_the_watermark_is_remote() -> None:
    refs = find_images(CML_REPORT)
    assert [r.url for r in refs] == ["./plot.png", "confusion_matrix.png", "https://cml.dev/watermark.png#0123abcd"]
    assert [r.remote for r in refs] == [False, False, True]
    assert [r.line for r in refs] == [8, 9, 11]


@pytest.mark.parametrize(("text", "found"), [
    ('![a](plot.png "title")', ["plot.png"]),
    ("![a](<my plot.png>)", ["my plot.png"]),
    ("![a](a(1).png)", ["a(1).png"]),
    ("![a](a\\_b.png)", ["a\\_b.png"]),
    ("![a]( spaced.png )", ["spaced.png"]),
    ("![a](p.png 'single') ![b](q.png (paren))", ["p.png", "q.png"]),
    ("![a [nested] alt](n.png)", ["n.png"]),
    ("[![badge](badge.svg)](https://ci.example)", ["badge.svg"]),
    ('<img src="html.png" width="300"> <IMG SRC=bare.png> <img alt=x src=\'q.png\'/>', ["html.png", "bare.png", "q.png"]),
    ("![ref][r]\n\n[r]: ref.png \"t\"\n[unused]: link.png\n", ["ref.png"]),
    ("![Short]\n\n[short]: <short cut.png>\n", ["short cut.png"]),
    ("![coll][]\n\n[coll]: coll.png\n", ["coll.png"]),
])
def test_images_in_every_form(text: str, found: list[str]) -> None:
    assert written(text) == found


@pytest.mark.parametrize("text", [
    "`![no](code.png)`",
    "``a ` ![no](code.png) ``",
    "```\n![no](fence.png)\n```\n",
    "~~~~md\n![no](fence.png)\n~~~\n~~~~\n",
    "    ![no](indented.png)\n",
    "text\n\n\t![no](tab-indented.png)\n",
    "<!-- ![no](comment.png) -->",
    "<!--\n<img src=\"comment.png\">\n-->",
    "\\![no](escaped.png)",
    "![no](unclosed.png",
    "[link](not-an-image.png)",
    "[r]: only-links-use-it.png\n\n[text][r]\n",
    "```\nunclosed fence ![no](x.png)\n",
])
def test_nothing_in_code_comments_escapes_or_links_is_an_image(text: str) -> None:
    assert find_images(text) == []


def test_indentation_counts_from_the_list_item() -> None:
    assert written("- item\n\n  ![yes](in-list.png)\n") == ["in-list.png"]
    assert written("- item\n\n      ![no](code-in-list.png)\n") == []  # 4 past the item's column: code
    assert written("1. item\n\n       ![no](code.png)\n   ![yes](after.png)\n") == ["after.png"]
    assert written("paragraph\n    ![yes](continuation.png)\n") == ["continuation.png"]
    assert written("> quote\n>\n>     ![no](quoted-code.png)\n") == []


def test_an_unclosed_code_span_is_literal_backticks() -> None:
    assert written("a ` b ![yes](p.png)") == ["p.png"]


def test_backslash_escapes_and_entities_are_decoded_in_the_url() -> None:
    [ref] = find_images("![a](a\\_b&amp;c.png)")
    assert ref.url == "a_b&c.png"
    [tag] = find_images('<img src="x&amp;y.png">')
    assert tag.url == "x&y.png"


@pytest.mark.parametrize(("url", "remote"), [
    ("https://x/y.png", True), ("http://x/y.png", True), ("data:image/png;base64,AA", True),
    ("//cdn.example/y.png", True), ("#anchor", True), ("", True), ("mailto:a@b", True),
    ("plot.png", False), ("./plots/a.png", False), ("../../etc/passwd.png", False), ("/abs/a.png", False),
    ("C:/win.png", False),
])
def test_remote_links(url: str, remote: bool) -> None:
    assert is_remote(url) is remote


def test_a_local_link_is_a_path_as_github_reads_it() -> None:
    assert local_path("my%20plot.png") == "my plot.png"
    assert local_path("plot.png?raw=true#frag") == "plot.png"


def test_rewrite_changes_only_the_destinations() -> None:
    text = '![roc](plot.png "ROC") and <img src="cm.png" width=3> and ![keep](https://x/y.png)'
    refs = find_images(text)
    urls = {refs[0]: "https://github.com/o/r/blob/c0ffee/pr-1/x/plot-1.png?raw=true",
            refs[1]: "https://h/a&b.png"}
    out = rewrite(text, urls)
    assert out == ('![roc](https://github.com/o/r/blob/c0ffee/pr-1/x/plot-1.png?raw=true "ROC") and '
                   '<img src="https://h/a&amp;b.png" width=3> and ![keep](https://x/y.png)')
    assert rewrite(text, {}) == text


def test_a_rewritten_raw_destination_stays_one() -> None:
    text = "![a](p.png)"
    [ref] = find_images(text)
    out = rewrite(text, {ref: "https://h/with (parens) and space.png"})
    assert find_images(out)[0].url == "https://h/with%20%28parens%29%20and%20space.png"


# --- The same images as a CommonMark parser sees (markdown-it-py, which DVC's rich brings) -----------------------

FRAGMENTS = [
    "![a](p{n}.png)", '![a](p{n}.png "t")', "![a](<p {n}.png>)", "[![b](b{n}.svg)](https://l)", "text {n}",
    "`![c](code{n}.png)`", "\\![e](esc{n}.png)", "[l](link{n}.png)", "**bold** {n}", "![r][ref{n}]", "\n",
    "```\n![f](fence{n}.png)\n```", "    ![i](indent{n}.png)", "- ![li](item{n}.png)", "# ![h](head{n}.png)",
    "> ![q](quote{n}.png)", "<!-- ![x](comment{n}.png) -->", "![a](https://r/{n}.png)", "![a](p(1){n}.png)",
]


def _markdown_it_images(text: str) -> list[str]:
    from markdown_it import MarkdownIt

    found: list[str] = []

    def walk(tokens: list) -> None:  # type: ignore[type-arg]
        for token in tokens:
            if token.type == "image":
                found.append(urllib.parse.unquote(str(token.attrs["src"])))
            if token.children:
                walk(token.children)

    walk(MarkdownIt("commonmark").parse(text))
    return found


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(FRAGMENTS), st.sampled_from(["\n\n", "\n", " "])), max_size=12),
       st.booleans())
def test_the_images_are_those_a_commonmark_parser_finds(parts: list[tuple[str, str]], definitions: bool) -> None:
    text = "".join(fragment.format(n=i) + sep for i, (fragment, sep) in enumerate(parts))
    if definitions:
        text += "\n\n" + "".join(f"[ref{i}]: def{i}.png\n" for i in range(len(parts)))
    ours = [urllib.parse.unquote(local_path(r.url)) if not r.remote else r.url
            for r in find_images(text) if r.kind != "html"]
    theirs = sorted(_markdown_it_images(text))
    assert sorted(ours) == theirs, text


# --- Bytes --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("data", "kind"), [
    (b"\x89PNG\r\n\x1a\n....", "png"), (b"\xff\xd8\xff\xe0..JFIF", "jpeg"), (b"GIF89a...", "gif"), (b"GIF87a", "gif"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "svg"),
    (b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- made by hand -->\n<!DOCTYPE svg>\n<svg width="1">', "svg"),
    (b"root:x:0:0:root:/root:/bin/bash\n", None), (b"<html><svg>", None), (b"", None), (b"\x89PNG", None),
])
def test_an_image_is_known_by_its_signature(data: bytes, kind: str | None) -> None:
    assert image_type(data) == kind


def test_asset_names_are_safe_and_follow_the_content() -> None:
    name = asset_name("plots/Confusion matrix (v2).PNG", b"abc", "png")
    assert re.fullmatch(r"Confusion-matrix-v2-[0-9a-f]{12}\.png", name)
    assert asset_name("other/dir/Confusion matrix (v2).PNG", b"abc", "png") == name  # same bytes, same name
    assert asset_name("plots/Confusion matrix (v2).PNG", b"abd", "png") != name
    assert asset_name("..", b"x", "jpeg").startswith("image-") and asset_name("a.svg", b"x", "jpeg").endswith(".jpg")
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", asset_name("....~~~.gif", b"x", "gif"))


# --- The comment --------------------------------------------------------------------------------------------------

def test_cml_placeholders_are_replaced() -> None:
    assert expand_title("{workflow} run {run}", "ml", "118") == "ml run 118"
    assert expand_title("plain", None, None) == "plain"


def test_the_marker_is_one_hidden_line_per_title() -> None:
    assert marker("") == "<!-- mlci:comment -->"
    assert marker("report") == '<!-- mlci:comment title="report" -->'
    hostile = marker('a --> <b> "c"\nd%')
    assert hostile.startswith("<!-- mlci:comment title=") and hostile.count("-->") == 1 and hostile.endswith(" -->")
    assert "\n" not in hostile and hostile.count('"') == 2
    assert marker("a") != marker("ab") and not marker("ab").startswith(marker("a"))
    assert not marker("a").startswith(marker(""))


@pytest.mark.parametrize(("title", "watermark", "same"), [
    ("", '![](https://cml.dev/watermark.png#4f1c2a9b "CML watermark")', True),
    ("", '![](https://cml.dev/watermark.png#4f1c2a9b "CML watermark other")', False),
    ("my_report *1* [x] <y>", '![](https://cml.dev/watermark.png#ABCDEF "CML watermark my\\_report \\*1\\* \\[x] \\<y>")', True),
    ("my_report", '![](https://cml.dev/watermark.png#abc "CML watermark my_report")', True),
    ("report", '![](https://cml.dev/watermark.png "CML watermark report")', False),  # CML always adds the SHA
])
def test_cml_watermark_of_a_title(title: str, watermark: str, same: bool) -> None:
    assert bool(cml_watermark(title).search(f"## Report\n\n{watermark}")) is same


def test_notes_follow_a_rule_one_line_each() -> None:
    assert note_lines([]) == ""
    assert note_lines(["a", "b"]) == "\n\n---\n<sub>mlci: a</sub>\n<sub>mlci: b</sub>"


def test_a_report_that_fits_is_posted_whole() -> None:
    body = compose(marker("t"), CML_REPORT, ["one note"])
    assert body == marker("t") + "\n" + CML_REPORT + note_lines(["one note"])
    assert fits(marker("t"), CML_REPORT, ["one note"])


def test_a_report_over_the_limit_is_cut_at_a_line_with_the_note() -> None:
    line = "| row | " + "x" * 90 + " |\n"
    markdown = "# Big\n" + line * 1000
    assert len(markdown) > COMMENT_LIMIT and not fits(marker(""), markdown, [])
    body = compose(marker(""), markdown, ["a note"], whole="in the job summary of [this run](https://r)")
    assert len(body) <= COMMENT_LIMIT
    assert body.startswith("<!-- mlci:comment -->\n# Big\n| row |")
    assert "over the 65,536 a GitHub comment holds; it is cut here. The whole report is in the job summary" in body
    assert body.endswith(note_lines(["a note"]))
    kept = body.split("\n\n> **mlci:**")[0]
    assert kept.endswith(" |") and all(row == line.rstrip("\n") for row in kept.splitlines()[2:])


def test_a_cut_inside_a_code_fence_closes_it() -> None:
    markdown = "intro\n````text\n" + "log line\n" * 9000 + "````\nafter\n"
    out = trim(markdown, 20_000, "NOTE")
    assert len(out) <= 20_000 and out.endswith("\n````\n\nNOTE")
    assert find_images(out + "\n![x](p.png)") != []  # the fence is closed: what follows is markdown again


def test_a_tiny_budget_still_gives_the_note() -> None:
    assert trim("x" * 100, 10, "a long note") == "a long not"


def test_parentheses_nest_32_deep_in_a_destination_as_in_cmark_gfm() -> None:
    assert written("![a](x" + "(" * 32 + ")" * 32 + ".png)") == ["x" + "(" * 32 + ")" * 32 + ".png"]
    assert written("![a](x" + "(" * 33 + ")" * 33 + ".png)") == []


def test_hostile_markdown_costs_linear_time() -> None:
    """Each scan is bounded or done once (brackets matched in one pass): no input is quadratic. Before,
    100,000 unclosed `![` took 136 s."""
    import time

    hostile = ["![" * 50_000, "<img " * 20_000, "![a](" * 20_000, "![a](x" * 20_000, "<!--" * 25_000,
               "a `b` ![p](p.png) [x] c\n" * 5_000, "![a][" * 20_000, "[" * 100_000]
    started = time.perf_counter()
    for text in hostile:
        find_images(text)
    assert time.perf_counter() - started < 10


def test_data_image_links_decode_within_a_size() -> None:
    from mlci.render.usermd import data_image, is_data_image

    assert is_data_image("data:image/png;base64,iVBORw0KGgo=") and not is_data_image("data:text/html;base64,PGI+")
    assert data_image("data:image/png;base64,iVBO\nRw0KGgo=", 100) == b"\x89PNG\r\n\x1a\n"
    assert data_image("data:image/png;base64,not*base64", 100) is None
    assert data_image("data:image/png;base64," + "A" * 200, 100) is None  # would decode to over 100 bytes
