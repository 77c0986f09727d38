from cdisc_map.sdtm.supp import piece_label, split_text


def test_long_text_splits_before_blanks_and_joins_back_exactly():
    text = " ".join(f"word{n:03d}" for n in range(80))  # 639 characters
    pieces = split_text(text)
    assert len(pieces) == 4
    assert all(len(p.encode()) <= 200 for p in pieces)
    assert "".join(pieces) == text
    assert all(not p.endswith(" ") for p in pieces)  # XPT would drop a trailing blank
    assert all(p.startswith(" ") for p in pieces[1:])


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
