"""What the summarizer asks the model (pure): the entry's input, the editor's past entries as examples, the trimmed messages."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from string import Template
from typing import Any

from pipeline.models import ArxivRecord, GithubRecord, Record
from pipeline.summary import clean_text

KIND_NAMES = {"arxiv": "论文", "github": "开源项目", "web": "文章"}

BUILTIN_PROMPT = """你是技术简报《嵌入式AI简报》的编辑助手，简报关注模型压缩、低比特量化、移动端推理加速和部署。
请用$language为用户给出的条目写一段摘要，供编辑修改后发表。
要求：
- 只写一段话，不超过 $length 个字；不换行，不用标题、列表、链接或任何 Markdown 标记；
- 只依据给出的标题、来源、编辑备注和正文，不添加其中没有的事实；数字必须与正文一致，没有把握就不写数字；
- 说清楚它是什么、做了什么、效果或意义，语气客观、简洁，像下面编辑过去写的摘要；
- 直接输出摘要本身，不要加“摘要：”之类的前缀，也不要解释。"""

EXAMPLES_HEADING = "编辑过去写的摘要（只学习语气和长度，不要照搬其中的事实）："

# A handful of entries in the digest's style, written for this tool (no figures in them, so
# that none can leak into an answer): used when no archive of past issues is configured.
BUILTIN_EXAMPLES: dict[str, list[tuple[str, str]]] = {
    "arxiv": [
        (
            "面向端侧推理的混合精度量化",
            (
                "本文提出一种按层敏感度自动分配比特宽度的混合精度量化方法，无需重新训练即可把模型压到低比特，"
                "在几乎不损失精度的前提下明显降低模型体积与推理延迟，并在手机 CPU 和 DSP 上给出了实测对比。"
            ),
        ),
        (
            "稀疏注意力加速视觉 Transformer",
            (
                "作者观察到视觉 Transformer 中大部分注意力权重集中在少数 token 上，据此设计了可在推理时动态剪除冗余 "
                "token 的稀疏注意力模块，计算量大幅下降而精度基本持平，对显存有限的边缘设备尤其友好。"
            ),
        ),
    ],
    "github": [
        (
            "一个轻量级端侧推理框架",
            (
                "纯 C++ 实现、无第三方依赖的端侧推理框架，支持 ARM CPU、GPU 与 NPU 多种后端，提供模型转换、"
                "量化和性能分析工具，适合在手机和嵌入式板卡上部署卷积网络与小型 Transformer。"
            ),
        ),
        (
            "模型压缩工具箱",
            (
                "集成剪枝、量化、知识蒸馏和神经网络结构搜索等常用模型压缩算法的工具箱，接口统一、配置简单，"
                "附带主流模型的压缩示例与精度对比，便于快速评估不同方案在目标硬件上的收益。"
            ),
        ),
    ],
    "web": [
        (
            "某芯片厂商发布新一代边缘 AI 处理器",
            (
                "新一代边缘 AI 处理器集成自研 NPU，强调能效比，面向智能摄像头、机器人和车载等场景，"
                "配套工具链支持主流框架的模型一键转换与量化部署，厂商称开发者可直接复用已有模型。"
            ),
        ),
        (
            "移动端大模型推理优化实践",
            (
                "文章结合实际项目介绍在手机上部署大语言模型的优化思路：权重量化、KV Cache 管理、算子融合与"
                "内存复用，并对比了不同方案在首字延迟和吞吐上的取舍，对端侧部署有较强参考价值。"
            ),
        ),
    ],
}

# Room kept for the chat template's own tokens (role markers and the like).
TEMPLATE_OVERHEAD_TOKENS = 64
_CJK_CHAR = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff00-\uffef]")


def estimate_tokens(text: str) -> int:
    """A deliberately generous guess without the model's tokenizer: a CJK character is about one
    token (less in most vocabularies), other text about one token per 3.5 characters."""
    cjk = len(_CJK_CHAR.findall(text))
    return cjk + -(-(len(text) - cjk) * 2 // 7)


@dataclass(frozen=True)
class SummaryInput:
    """Everything the model is told about one entry."""

    key: str
    kind: str  # arxiv | github | web
    title: str
    source: str | None
    note: str | None
    text: str  # the best text the record has: abstract, article lead, description + README lead


def summary_input(key: str, kind: str, record: Record, note: str | None) -> SummaryInput | None:
    """The input for one record, or None when it has no text worth summarizing."""
    source: str | None
    if isinstance(record, ArxivRecord):
        title, source = record.title or "", "arXiv"
        text = clean_text(record.abstract)
    elif isinstance(record, GithubRecord):
        title, source = record.full_name or key.removeprefix("github:"), "GitHub"
        parts = [clean_text(record.description), clean_text(record.readme)]
        text = "\n".join(p for p in parts if p)
    else:
        title, source = record.title or "", record.site_name
        text = clean_text(record.text) or clean_text(record.description)
    if not text:
        return None
    return SummaryInput(key, kind, " ".join(str(title).split()), source, note, text)


# -- examples of the editor's voice ------------------------------------------------------------
@dataclass(frozen=True)
class Example:
    title: str
    summary: str


def pick_examples(
    entries: Sequence[Any],
    kind: str,
    *,
    length: int,
    count: int = 3,
    exclude_title: str | None = None,
    accept: Callable[[str], bool] | None = None,
) -> list[Example]:
    """The `count` most recent past entries of `kind` whose summaries are of a usable length.

    `entries` are archive entries, duck-typed: anything with `kind`, `title`, `summary` and
    `date` (an ISO date or a `datetime.date`) will do. An entry with the same title as the one
    being summarized is skipped: its old summary would be copied, not imitated. `accept` can
    refuse more summaries, such as those an answer may not look like (links, another language)."""
    usable = []
    for entry in entries:
        summary = " ".join(str(getattr(entry, "summary", "") or "").split())
        title = " ".join(str(getattr(entry, "title", "") or "").split())
        if getattr(entry, "kind", None) != kind or not summary or not title:
            continue
        if not length * 0.4 <= len(summary) <= length * 1.3:
            continue
        if exclude_title and title.casefold() == exclude_title.casefold():
            continue
        if accept is not None and not accept(summary):
            continue
        usable.append((str(getattr(entry, "date", "") or ""), title, summary))
    usable.sort(key=lambda item: item[0], reverse=True)
    return [Example(title, summary) for _, title, summary in usable[:count]]


def builtin_examples(kind: str) -> list[Example]:
    return [Example(title, summary) for title, summary in BUILTIN_EXAMPLES.get(kind, BUILTIN_EXAMPLES["web"])]


# -- the messages ----------------------------------------------------------------------------------
def instructions(prompt_template: str | None, *, language: str, length: int) -> str:
    """The system prompt: the built-in one or the editor's file, with `$language` and `$length` filled in."""
    return Template(prompt_template or BUILTIN_PROMPT).safe_substitute(language=language, length=length)


def _system(prompt: str, examples: Sequence[Example]) -> str:
    if not examples:
        return prompt
    shown = "\n".join(f"{n}. 《{e.title}》 {e.summary}" for n, e in enumerate(examples, 1))
    return f"{prompt}\n\n{EXAMPLES_HEADING}\n{shown}"


def _user(item: SummaryInput, text: str) -> str:
    lines = [f"类型：{KIND_NAMES.get(item.kind, item.kind)}", f"标题：{item.title}"]
    if item.source:
        lines.append(f"来源：{item.source}")
    if item.note:
        lines.append(f"编辑备注：{item.note}")
    lines.append(f"正文：\n{text}")
    return "\n".join(lines)


@dataclass(frozen=True)
class Request:
    """The messages for one entry, with what trimming did and what the prompt should cost."""

    messages: list[dict[str, str]]
    estimated_prompt_tokens: int
    trimmed_from: int | None  # the text's length in characters before it was cut, when it was

    @property
    def fingerprint(self) -> str:
        """A hash of exactly what is sent: a changed record, example or prompt is a new question."""
        data = json.dumps(self.messages, ensure_ascii=False, sort_keys=True).encode("utf-8")
        return hashlib.sha256(data).hexdigest()


def build_request(
    item: SummaryInput, system_prompt: str, examples: Sequence[Example], *, context_tokens: int, max_tokens: int
) -> Request:
    """The messages, with the entry's text cut so that prompt and answer fit the model's window
    (the instructions, the examples and the title are never cut)."""
    system = _system(system_prompt, examples)
    fixed = estimate_tokens(system) + estimate_tokens(_user(item, "")) + TEMPLATE_OVERHEAD_TOKENS
    room = context_tokens - max_tokens - fixed
    text, trimmed_from = item.text, None
    if estimate_tokens(text) > room:
        trimmed_from = len(text)
        text = _cut_to_tokens(text, max(room, 0))
    messages = [{"role": "system", "content": system}, {"role": "user", "content": _user(item, text)}]
    estimate = sum(estimate_tokens(m["content"]) for m in messages) + TEMPLATE_OVERHEAD_TOKENS
    return Request(messages, estimate, trimmed_from)


_SENTENCE_END = re.compile(r"[。！？.!?](?=\s|$)|[。！？]")


def _cut_to_tokens(text: str, tokens: int) -> str:
    """The longest head of `text` within `tokens`, ended at a sentence end when one is near."""
    low, high = 0, len(text)
    while low < high:  # binary search on the character count: estimate_tokens grows with it
        middle = (low + high + 1) // 2
        if estimate_tokens(text[:middle]) <= tokens:
            low = middle
        else:
            high = middle - 1
    head = text[:low]
    ends = [m.end() for m in _SENTENCE_END.finditer(head)]
    if ends and ends[-1] >= len(head) * 0.6:
        head = head[: ends[-1]]
    return head.rstrip() + ("…" if len(head) < len(text) else "")
