"""Charset decoding: declarations trusted only when the bytes agree, GBK as GB18030, never raising."""

from pipeline.decode import charset_from_meta, decode_html, normalize_charset
from tests.pages import PAGES


def test_header_charset_is_used_when_bytes_agree():
    body = "<p>Größe</p>".encode("cp1252")
    assert "Größe" in decode_html(body, "text/html; charset=ISO-8859-1")


def test_gbk_page_without_any_declaration_is_detected():
    text = decode_html((PAGES / "gbk_undeclared.html").read_bytes(), None)
    assert "边缘计算芯片发布会回顾" in text


def test_declared_utf8_that_is_not_utf8_goes_to_detection():
    text = decode_html((PAGES / "wrong_charset.html").read_bytes(), None)
    assert "Über Größenänderungen" in text
    assert "\ufffd" not in text


def test_valid_utf8_wins_over_a_stale_gb2312_declaration():
    body = '<meta charset="gb2312"><title>人民网</title>'.encode()
    assert "人民网" in decode_html(body, None)


def test_gb2312_label_decodes_as_gb18030():
    assert normalize_charset("GB2312") == "gb18030"
    assert normalize_charset("x-gbk") == "gb18030"
    body = '<meta charset="gb2312"><p>镕</p>'.encode("gb18030")  # 镕 is outside GB2312
    assert "镕" in decode_html(body, None)


def test_bom_wins():
    body = "\ufeff<p>naïve</p>".encode("utf-8")
    assert decode_html(body, "text/html; charset=windows-1252") == "<p>naïve</p>"


def test_meta_prescan_forms():
    assert charset_from_meta(b'<meta charset="Shift_JIS">') == "cp932"
    assert charset_from_meta(b'<meta http-equiv="Content-Type" content="text/html; charset=euc-kr">') == "cp949"
    assert charset_from_meta(b"<p>" + b" " * 5000 + b'<meta charset="gbk">') is None


def test_never_raises_on_garbage():
    assert isinstance(decode_html(bytes(range(256)) * 4, "text/html; charset=bogus"), str)
    assert decode_html(b"", None) == ""
