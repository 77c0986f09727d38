from cdisc_map.sdtm.supp import piece_label, split_text


def test_long_text_splits_between_non_blanks_and_joins_back_exactly():
    text = " ".join(f"word{n:03d}" for n in range(80))  # 639 characters
    pieces = split_text(text)
    assert len(pieces) == 4
    assert all(len(p.encode()) <= 200 for p in pieces)
    assert "".join(pieces) == text
    assert all(p == p.strip() for p in pieces)  # XPT drops a trailing blank; CORE reports a leading one
    assert pieces[0].endswith("word02") and pieces[1].startswith("4 word025")  # no punctuation: inside a word


def test_a_cut_falls_after_punctuation_where_there_is_some():
    text = "fever resolved; " + "a" * 150 + "-b " + "c" * 100
    pieces = split_text(text)
    assert pieces[0].endswith("a-") and pieces[1].startswith("b ")
    assert "".join(pieces) == text


def test_a_long_run_of_blanks_is_cut_at_the_limit():
    text = "x" + " " * 300 + "y"
    assert [len(p) for p in split_text(text)] == [200, 102]


def test_text_without_blanks_is_cut_at_the_limit_and_never_mid_character():
    text = "é" * 150  # 300 bytes
    pieces = split_text(text)
    assert [len(p.encode()) for p in pieces] == [200, 100]
    assert "".join(pieces) == text


def test_piece_labels_stay_distinct_and_within_40_characters():
    label = "A label of exactly forty characters long"
    assert len(label) == 40
    assert piece_label(label, 0) == label
    assert piece_label(label, 1) == "A label of exactly forty characters lo 1"
    assert len(piece_label(label, 12)) == 40
