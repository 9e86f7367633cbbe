"""The one CJK helper: runs, character pairs, and the bigram text the search indexes."""

from core.cjk import cjk_bigrams, cjk_pairs, cjk_runs, has_cjk


def test_it_detects_chinese_japanese_and_korean():
    assert has_cjk("部署") and has_cjk("カタカナ") and has_cjk("한국어")
    assert not has_cjk("deploy guide")


def test_it_cuts_runs_into_pairs():
    assert cjk_runs("see 部署指南 and 中") == ["部署指南", "中"]
    assert cjk_pairs("部署指南") == ["部署", "署指", "指南"]
    assert cjk_pairs("中") == ["中"]


def test_it_replaces_runs_by_their_pairs_in_text():
    assert cjk_bigrams("the 部署指南 page") == "the  部署 署指 指南  page"
