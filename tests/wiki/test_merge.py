"""Three-way merge of page text (wiki.merge)."""

from wiki.merge import MARKER_END, MARKER_MID, MARKER_START, merge_texts

BASE = "# Title\n\nFirst paragraph.\n\nSecond paragraph.\n\nThird paragraph.\n"


def test_it_merges_edits_to_different_paragraphs():
    ours = BASE.replace("First paragraph.", "First paragraph, edited by me.")
    theirs = BASE.replace("Third paragraph.", "Third paragraph, edited by them.")

    result = merge_texts(base=BASE, ours=ours, theirs=theirs)

    assert result.clean
    assert result.conflicts == []
    assert result.text == (
        "# Title\n\nFirst paragraph, edited by me.\n\nSecond paragraph.\n\n"
        "Third paragraph, edited by them.\n"
    )
    assert result.with_markers == result.text


def test_it_merges_appends_at_both_ends():
    ours = "Preface.\n\n" + BASE
    theirs = BASE + "\nAppendix.\n"

    result = merge_texts(base=BASE, ours=ours, theirs=theirs)

    assert result.clean
    assert result.text == "Preface.\n\n" + BASE + "\nAppendix.\n"


def test_it_reports_a_conflict_when_both_edit_the_same_line_differently():
    ours = BASE.replace("Second paragraph.", "Second paragraph (mine).")
    theirs = BASE.replace("Second paragraph.", "Second paragraph (theirs).")

    result = merge_texts(base=BASE, ours=ours, theirs=theirs)

    assert not result.clean
    assert result.text is None
    [conflict] = result.conflicts
    assert conflict.base == "Second paragraph.\n"
    assert conflict.ours == "Second paragraph (mine).\n"
    assert conflict.theirs == "Second paragraph (theirs).\n"
    marked = result.with_markers.split("\n")
    assert marked[conflict.start_line] == MARKER_START
    assert marked[conflict.start_line + 1] == "Second paragraph (mine)."
    assert marked[conflict.start_line + 2] == MARKER_MID
    assert marked[conflict.start_line + 3] == "Second paragraph (theirs)."
    assert marked[conflict.start_line + 4] == MARKER_END
    # Everything outside the conflict is still there, once.
    assert result.with_markers.count("First paragraph.") == 1
    assert result.with_markers.count("Third paragraph.") == 1


def test_it_gives_each_conflict_its_line_in_the_marked_text():
    ours = BASE.replace("First", "1st").replace("Third", "3rd")
    theirs = BASE.replace("First", "Erste").replace("Third", "Dritte")

    result = merge_texts(base=BASE, ours=ours, theirs=theirs)

    assert len(result.conflicts) == 2
    lines = result.with_markers.split("\n")
    for conflict in result.conflicts:
        assert lines[conflict.start_line] == MARKER_START
        assert lines[conflict.start_line + 1] + "\n" == conflict.ours


def test_it_does_not_count_identical_edits_as_a_conflict():
    edited = BASE.replace("Second paragraph.", "Second paragraph, fixed typo.")

    result = merge_texts(base=BASE, ours=edited, theirs=edited)

    assert result.clean
    assert result.text == edited


def test_it_conflicts_when_one_side_deletes_what_the_other_edits():
    ours = BASE.replace("Second paragraph.\n\n", "")
    theirs = BASE.replace("Second paragraph.", "Second paragraph, improved.")

    result = merge_texts(base=BASE, ours=ours, theirs=theirs)

    assert not result.clean
    [conflict] = result.conflicts
    assert "Second paragraph, improved." in conflict.theirs
    assert "Second paragraph, improved." in result.with_markers


def test_it_merges_a_deletion_with_an_edit_elsewhere():
    ours = BASE.replace("First paragraph.\n\n", "")
    theirs = BASE.replace("Third paragraph.", "Third paragraph, improved.")

    result = merge_texts(base=BASE, ours=ours, theirs=theirs)

    assert result.clean
    assert "First paragraph." not in result.text
    assert "Third paragraph, improved." in result.text


def test_it_merges_from_an_empty_base():
    assert merge_texts(base="", ours="Hello\n", theirs="").text == "Hello\n"
    assert merge_texts(base="", ours="", theirs="Hello\n").text == "Hello\n"
    same = merge_texts(base="", ours="Hello\n", theirs="Hello\n")
    assert same.clean and same.text == "Hello\n"
    both = merge_texts(base="", ours="Mine\n", theirs="Theirs\n")
    assert not both.clean
    assert "Mine" in both.with_markers and "Theirs" in both.with_markers


def test_it_ignores_line_ending_and_final_newline_differences():
    ours = BASE.replace("\n", "\r\n").replace("First paragraph.", "First, mine.")
    theirs = BASE.rstrip("\n").replace("Third paragraph.", "Third, theirs.")

    result = merge_texts(base=BASE, ours=ours, theirs=theirs)

    assert result.clean
    assert "\r" not in result.text
    assert "First, mine." in result.text and "Third, theirs." in result.text


def test_it_keeps_a_missing_final_newline_only_when_a_side_removed_it():
    base = "a\nb\n"
    assert merge_texts(base=base, ours="A\nb\n", theirs="a\nb").text == "A\nb"
    assert merge_texts(base=base, ours="A\nb\n", theirs="a\nb\n").text == "A\nb\n"
    assert merge_texts(base="a\nb", ours="A\nb", theirs="a\nb").text == "A\nb"


def test_it_merges_chinese_text():
    base = "第一段。\n\n第二段。\n\n第三段。\n"
    ours = base.replace("第一段。", "第一段，我改的。")
    theirs = base.replace("第三段。", "第三段，他们改的。")

    result = merge_texts(base=base, ours=ours, theirs=theirs)

    assert result.clean
    assert result.text == "第一段，我改的。\n\n第二段。\n\n第三段，他们改的。\n"

    clash = merge_texts(
        base=base, ours=base.replace("第二段", "二"), theirs=base.replace("第二段", "贰")
    )
    assert not clash.clean
    assert clash.conflicts[0].ours == "二。\n"
    assert clash.conflicts[0].theirs == "贰。\n"
