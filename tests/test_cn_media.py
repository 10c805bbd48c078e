"""Site rules for Chinese tech media: CSDN blog and news, cnblogs, qdaily."""

from pipeline.extract import extract_page
from tests.pages import page


def test_csdn_blog_post():
    record = extract_page(page("csdn_blog.html"), "https://blog.csdn.net/demo_user/article/details/1")
    assert record.title == "端侧推理的 INT8 量化笔记"
    assert record.site_name == "CSDN博客"
    assert record.author == "嵌入式小王"  # var nickName, not meta author "CSDN"
    # The cambrian pubDate, not the visible "于 … 发布" time (that is the last update).
    assert record.published == "2024-05-06T10:12:00+08:00"
    assert record.description == "记录在 Cortex-M 上做 INT8 量化的步骤与踩坑。"


def test_csdn_blog_saved_elsewhere_is_recognized():
    record = extract_page(page("csdn_blog.html"), "https://mirror.example/saved.html")
    assert record.author == "嵌入式小王"
    assert record.published == "2024-05-06T10:12:00+08:00"


def test_csdn_news_article_reads_its_info_bar():
    record = extract_page(page("csdn_news.html"), "https://www.csdn.net/article/2014-08-24/1")
    assert record.title == "开源芯片社区发布新一代 RISC-V 核"
    assert record.site_name == "CSDN"
    assert record.author == "李明"  # not meta author "CSDN.NET", not the source "CSDN"
    assert record.published == "2014-08-24T21:30:00+08:00"


def test_cnblogs_post():
    record = extract_page(page("cnblogs_post.html"), "https://www.cnblogs.com/lao-zhou/p/1")
    assert record.title == "在树莓派上交叉编译 ONNX Runtime"  # the post's <h1>, not the blog's
    assert record.site_name == "博客园"
    assert record.author == "码农老周"
    assert record.published == "2024-05-09T14:45:00+08:00"
    assert record.description is None  # code line numbers are no excerpt


def test_qdaily_article_header_not_teaser_grid():
    record = extract_page(page("qdaily_article.html"), "http://www.qdaily.com/articles/1.html")
    assert record.title == "这个芯片想把大模型装进耳机"
    assert record.site_name == "好奇心日报"
    assert record.author == "王小二"
    assert record.published == "2017-03-01T14:27:02+08:00"


def test_cnblogs_and_qdaily_saved_elsewhere_are_recognized():
    assert extract_page(page("cnblogs_post.html"), "file:///saved/post.html").author == "码农老周"
    assert extract_page(page("qdaily_article.html"), "file:///saved/a.html").author == "王小二"
