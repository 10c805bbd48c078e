"""Checks on a model's answer before it may stand as a summary draft (pure): language, script, length, Markdown, numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Answers may run over the asked length by this much before they count as too long: models
# count characters loosely, and the editor rewrites the draft anyway.
LENGTH_TOLERANCE = 1.25
MIN_LENGTH = 10

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_LATIN_LETTER = re.compile(r"[A-Za-z]")

# Characters that exist only in Traditional Chinese and are common in technical prose; each has
# a different Simplified form (這/这, 們/们, ...): none of them is in GB2312 (tests check it).
# Two of them in one answer mean it is not Simplified (one could be a quoted name).
TRADITIONAL_ONLY = frozenset(
    "這們個來為時國會說對學過麼還樣點與實際體發開關機資訊號專業當數據網絡處運種類問題經濟產務動電腦"
    "應現並從陣隊傳統計設備項將變術語邊緣層論優勢讓幾據雲軟顯習練訓記憶體積壓縮輕級導準確"
    "標識檢測視覺圖語聲頻頭腦區塊鏈進預測試驗證組織結構構築範圍參數輸輸錄線類"
)
# And the other way round, for an editor who asks for Traditional: none of them is in Big5.
SIMPLIFIED_ONLY = frozenset(
    "这们来为时国会说对学过还样点实际发开关资讯号专业当数络处运类问题经济产务动电脑"
    "应现从阵队传统计设备项将变术语边缘层论势让软显习练训记忆积压缩轻级导标识检测视觉图"
)

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_MARKDOWN = [
    (re.compile(r"\]\(|\[[^\]]*\]\s*\("), "a Markdown link"),
    (re.compile(r"https?://|www\.", re.IGNORECASE), "a URL"),
    (re.compile(r"(^|\n)\s*(#{1,6}\s|>|[-*+]\s|\d+[.)]\s)"), "a heading, quote or list"),
    (re.compile(r"```|~~~"), "a code block"),
    (re.compile(r"<[a-zA-Z/!]"), "HTML"),
    (re.compile(r"\|\s*-{3,}"), "a table"),
]
_THINKING = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_PREFIX = re.compile(r"^\s*(\*\*)?(摘要|总结|概要|summary)(\*\*)?\s*[:：]\s*", re.IGNORECASE)


def tidy_answer(text: str) -> str:
    """The answer without what models add around it: a reasoning model's `<think>` block, a
    `摘要：` label, wrapping quotes, surrounding whitespace."""
    text = _THINKING.sub("", text).strip()
    text = _PREFIX.sub("", text).strip()
    for left, right in (("“", "”"), ('"', '"'), ("「", "」")):
        if len(text) > 2 and text.startswith(left) and text.endswith(right) and text.count(right) == 1:
            text = text[1:-1].strip()
    return text


@dataclass(frozen=True)
class Script:
    """What a `language` setting asks for: Chinese (and which script), English, or unknown."""

    chinese: bool = False
    traditional: bool = False
    english: bool = False


def script_for(language: str) -> Script:
    lowered = language.casefold()
    if any(word in lowered for word in ("繁", "traditional", "zh-tw", "zh-hk", "zh-hant")):
        return Script(chinese=True, traditional=True)
    if any(word in lowered for word in ("中文", "汉语", "漢語", "chinese", "简体", "zh")):
        return Script(chinese=True)
    if "english" in lowered or "英" in lowered or lowered in ("en", "en-us", "en-gb"):
        return Script(english=True)
    return Script()


def numbers_in(text: str) -> set[str]:
    """Every number in `text`, thousands separators dropped (`1,000` and `1000` are one number)."""
    found: set[str] = set()
    for match in _NUMBER.finditer(text):
        number = match.group().rstrip(".,")
        if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", number):
            number = number.replace(",", "")
        found.update(part for part in number.split(",") if part)
    return found


@dataclass
class Verdict:
    """What is wrong with an answer. `problems` make it unusable; `unbacked_numbers` are numbers
    the input does not hold, which the editor must check."""

    problems: list[str] = field(default_factory=list)
    unbacked_numbers: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.unbacked_numbers


def check_answer(text: str, *, source_text: str, language: str, length: int, finish_reason: str | None = None) -> Verdict:
    """Checks a tidied answer against the input it was asked about and the settings."""
    verdict = Verdict()
    if finish_reason == "length":
        verdict.problems.append("the answer was cut off at max_tokens")
    if len(text) < MIN_LENGTH:
        verdict.problems.append("the answer is empty or too short")
        return verdict
    limit = int(length * LENGTH_TOLERANCE)
    if len(text) > limit:
        verdict.problems.append(f"the answer has {len(text)} characters, more than {limit}")
    if "\n" in text.strip():
        verdict.problems.append("the answer has more than one paragraph")
    for pattern, what in _MARKDOWN:
        if pattern.search(text):
            verdict.problems.append(f"the answer holds {what}")
            break
    verdict.problems.extend(_script_problems(text, script_for(language), language))
    known = numbers_in(source_text)
    verdict.unbacked_numbers = sorted(numbers_in(text) - known, key=lambda n: text.find(n))
    return verdict


def _script_problems(text: str, script: Script, language: str) -> list[str]:
    han = len(_HAN.findall(text))
    latin = len(_LATIN_LETTER.findall(text))
    if script.chinese:
        # Chinese technical prose is full of English names (TensorRT, MobileNetV3): a Latin word
        # of a few letters weighs about as much as one character.
        if han == 0 or han / (han + latin / 3) < 0.5:
            return [f"the answer is not in {language}"]
        wrong = TRADITIONAL_ONLY if not script.traditional else SIMPLIFIED_ONLY
        if sum(char in wrong for char in text) >= 2:
            found = "Traditional" if not script.traditional else "Simplified"
            return [f"the answer is in {found} characters, not {language}"]
    elif script.english and han > max(2, len(text) // 20):
        return [f"the answer is not in {language}"]
    return []


def retry_hint(verdict: Verdict, *, language: str, length: int) -> str:
    """What the second request tells the model about its first answer."""
    asks = []
    if verdict.problems:
        asks.append("；".join(verdict.problems))
    if verdict.unbacked_numbers:
        asks.append(f"these numbers are not in the input: {', '.join(verdict.unbacked_numbers)}")
    return (
        f"上一个回答不合格（{'；'.join(asks)}）。请重写：用{language}，只写一段，不超过 {length} 个字，"
        "不用任何 Markdown 标记，只使用正文里出现过的数字。"
    )
