"""Pages and threads cut into passages that fit the model's window."""

from qa.chunking import fit_passages, page_passages, token_counter


def test_a_page_is_one_passage_per_heading_section_with_the_title_prefixed() -> None:
    body = "Intro words.\n\n# Deploy\n\nRun make deploy.\n\n## Rollback\n\nRun make rollback.\n"
    passages = page_passages(title="Runbook", body=body)
    assert [(p.heading, p.anchor, p.text) for p in passages] == [
        ("", "", "Intro words."),
        ("Deploy", "deploy", "Run make deploy."),
        ("Deploy › Rollback", "rollback", "Run make rollback."),
    ]
    assert passages[0].embed_text == "Runbook Intro words."
    assert passages[2].embed_text == "Runbook › Deploy › Rollback Run make rollback."
    assert {p.language for p in passages} == {"en"}


def test_a_page_without_text_is_found_by_its_title() -> None:
    [passage] = page_passages(title="Empty page", body="")
    assert passage.embed_text == "Empty page" and passage.text == ""


def test_a_long_section_is_cut_at_sentence_ends_into_pieces_that_fit() -> None:
    counter = token_counter()
    sentences = [
        f"Sentence number {n} says something about the deploy pipeline." for n in range(80)
    ]
    passages = page_passages(title="Long page", body=" ".join(sentences), counter=counter)
    assert len(passages) > 1
    for passage in passages:
        assert counter.count(passage.embed_text) <= counter.window
        assert passage.embed_text.startswith("Long page ")
        assert passage.text.endswith(".")
    # Nothing is lost or repeated.
    assert " ".join(p.text for p in passages) == " ".join(sentences)


def test_a_sentence_longer_than_the_window_is_cut_at_word_pieces() -> None:
    counter = token_counter()
    text = " ".join(f"word{n}" for n in range(2000))
    passages = fit_passages(prefix="Title", text=text, counter=counter)
    assert len(passages) > 5
    assert all(counter.count(p.embed_text) <= counter.window for p in passages)


def test_chinese_text_is_cut_and_marked_as_chinese() -> None:
    counter = token_counter()
    text = "。".join(["部署流程需要先检查数据库备份再发布新版本"] * 60) + "。"
    passages = fit_passages(prefix="运维手册", text=text, counter=counter)
    assert len(passages) > 1
    assert {p.language for p in passages} == {"zh"}
    assert all(counter.count(p.embed_text) <= counter.window for p in passages)
