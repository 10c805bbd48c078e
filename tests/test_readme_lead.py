"""The README lead: the first real paragraph of a README, as plain text, whatever decorates it."""

from __future__ import annotations

import pytest

from pipeline.readme import README_LEAD_LIMIT, flatten_inline, readme_lead

CASES = [
    ("plain paragraph", "A tiny inference engine for microcontrollers.\n", "A tiny inference engine for microcontrollers."),
    (
        "badges, heading and logo before the text",
        (
            "# TinyNet\n\n[![Build](https://ci.example/badge.svg)](https://ci.example) "
            "![PyPI](https://img.shields.io/pypi/v/tinynet)\n\n"
            '<p align="center"><img src="logo.png" width="200"></p>\n\n'
            "TinyNet runs **quantized** networks on `Cortex-M` cores.\n"
        ),
        "TinyNet runs quantized networks on Cortex-M cores.",
    ),
    (
        "setext heading and table of contents",
        (
            "TinyNet\n=======\n\n## Contents\n- [Install](#install)\n- [Usage](#usage)\n\n"
            "Second line of text that is the real description of the project.\n"
        ),
        "Second line of text that is the real description of the project.",
    ),
    (
        "language switcher and link row",
        (
            "English | [简体中文](README_zh.md)\n\n[Paper](https://arxiv.org/abs/1) | [Docs](https://d.example) | [Demo](https://x.example)\n\n"
            "The official implementation of [HRank](https://arxiv.org/abs/2002.10179): filter pruning using high-rank feature maps.\n"
        ),
        "The official implementation of HRank: filter pruning using high-rank feature maps.",
    ),
    (
        "install blocks, commands and introductions skipped",
        (
            "## Install\n\nTo install the library with its optional extras, run:\n\n```bash\npip install tinynet\n```\n\n    indented code\n\n"
            "$ pip install tinynet[cuda] --extra-index-url https://download.example.com/whl\n\nTinyNet compiles models ahead of time, so nothing is interpreted on the device.\n"
        ),
        "TinyNet compiles models ahead of time, so nothing is interpreted on the device.",
    ),
    (
        "tables, quotes and HTML blocks skipped",
        (
            '| Model | Top-1 |\n|---|---|\n| A | 70 |\n\n> [!NOTE]\n> We moved.\n\n<div align="center">\n  Centered words that are layout\n</div>\n\n'
            "A paragraph after the layout, with <b>inline</b> HTML &amp; an entity.\n"
        ),
        "A paragraph after the layout, with inline HTML & an entity.",
    ),
    (
        "soft breaks joined, CJK without spaces",
        "本项目是一个面向\n嵌入式设备的推理框架，\nsupports ARM and RISC-V.\n",
        "本项目是一个面向嵌入式设备的推理框架， supports ARM and RISC-V.",
    ),
    (
        "comments, front matter and reference links",
        (
            "---\ntitle: x\n---\n<!-- a comment\nover lines -->\n[ref]: https://example.com\n\n"
            "Fast kernels for [int8][ref] math, see <https://example.com/docs>.\n"
        ),
        "Fast kernels for int8 math, see https://example.com/docs.",
    ),
    (
        "snake_case and escapes survive",
        "Use the `run_model` call or run\\_all to *start* quickly.\n",
        "Use the run_model call or run_all to start quickly.",
    ),
    (
        "a row of links with a dash, then shortcut reference links",
        (
            "[Documentation](https://docs.example) – [PyPI](https://pypi.org/project/x)\n\n"
            "A library to access the [GitHub REST API] from Python.\n\n[GitHub REST API]: https://docs.github.com/rest\n"
        ),
        "A library to access the GitHub REST API from Python.",
    ),
    ("nothing real", "# Title\n\n![logo](logo.png)\n\n- a list\n- only\n", None),
    ("empty", "", None),
]


@pytest.mark.parametrize(("markdown", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_readme_lead(markdown, expected):
    assert readme_lead(markdown) == expected


def test_long_lead_is_capped_at_a_sentence_end():
    sentence = "This sentence says something about the project and its kernels. "
    lead = readme_lead(sentence * 40)
    assert lead is not None and len(lead) <= README_LEAD_LIMIT
    assert lead.endswith("kernels.")


def test_one_endless_sentence_is_cut_at_a_word_with_an_ellipsis():
    lead = readme_lead("word " * 400)
    assert lead is not None and len(lead) <= README_LEAD_LIMIT
    assert lead.endswith("word…")


def test_flatten_inline_keeps_link_text_and_drops_images():
    assert flatten_inline("See [the docs](https://x.example/(a)) ![img](i.png) now") == "See the docs now"
