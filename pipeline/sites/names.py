"""Known source names by domain, for pages that do not name their own site."""

from __future__ import annotations

# The registered domain (or a more specific subdomain) -> the name an editor writes as the source.
# The most specific matching domain wins, so a subdomain can differ from its parent.
_BUILTIN: dict[str, str] = {
    "infoq.cn": "InfoQ",
    "infoq.com": "InfoQ",
    "developer.nvidia.com": "NVIDIA Developer",
    "devblogs.nvidia.com": "NVIDIA Developer",
    "blogs.nvidia.com": "NVIDIA Developer",
    "nvidia.com": "NVIDIA",
    "jiqizhixin.com": "机器之心",
    "qbitai.com": "量子位",
    "csdn.net": "CSDN",
    "blog.csdn.net": "CSDN博客",
    "cnblogs.com": "博客园",
    "juejin.cn": "掘金",
    "juejin.im": "掘金",
    "ithome.com": "IT之家",
    "36kr.com": "36氪",
    "oschina.net": "开源中国",
    "segmentfault.com": "SegmentFault",
    "zhihu.com": "知乎",
    "mp.weixin.qq.com": "微信公众号",
    "leiphone.com": "雷锋网",
    "ai.googleblog.com": "Google AI Blog",
    "blog.research.google": "Google AI Blog",
    "research.google": "Google Research",
    "developers.googleblog.com": "Google Developers Blog",
    "pytorch.org": "PyTorch",
    "tensorflow.org": "TensorFlow",
    "blog.tensorflow.org": "TensorFlow",
    "arm.com": "Arm",
    "community.arm.com": "Arm Community",
    "qualcomm.com": "Qualcomm",
    "intel.com": "Intel",
    "amd.com": "AMD",
    "apple.com": "Apple",
    "machinelearning.apple.com": "Apple Machine Learning Research",
    "ai.meta.com": "Meta AI",
    "ai.facebook.com": "Meta AI",
    "engineering.fb.com": "Engineering at Meta",
    "openai.com": "OpenAI",
    "anthropic.com": "Anthropic",
    "deepmind.google": "Google DeepMind",
    "deepmind.com": "DeepMind",
    "huggingface.co": "Hugging Face",
    "microsoft.com": "Microsoft",
    "aws.amazon.com": "AWS",
    "medium.com": "Medium",
    "towardsdatascience.com": "Towards Data Science",
    "arxiv.org": "arXiv",
    "github.com": "GitHub",
    "github.blog": "The GitHub Blog",
    "tomshardware.com": "Tom's Hardware",
    "anandtech.com": "AnandTech",
    "theverge.com": "The Verge",
    "techcrunch.com": "TechCrunch",
    "arstechnica.com": "Ars Technica",
    "wired.com": "WIRED",
    "eetimes.com": "EE Times",
    "eetimes.com.cn": "电子工程专辑",
    "eet-china.com": "电子工程专辑",
    "semianalysis.com": "SemiAnalysis",
    "nature.com": "Nature",
    "sciencedirect.com": "ScienceDirect",
}


def known_site_name(host: str) -> str | None:
    """The known name of the most specific domain `host` belongs to, if any. (The editor's own
    names, the config's `[sites]`, are applied where the draft is written: pipeline.sourcenames.)"""
    labels = host.lower().removeprefix("www.").split(".")
    # Longest suffix first: "blog.csdn.net" before "csdn.net".
    for start in range(len(labels)):
        name = _BUILTIN.get(".".join(labels[start:]))
        if name:
            return name
    return None
