from __future__ import annotations

from kinema.knowledge.chunk import chunk_text
from kinema.knowledge.sentences import SentenceSplitter, split_sentences

DOC = """# Handbook

Welcome to the company. Read this first.

## Benefits

### Vacation
Full-time staff receive 25 days of paid vacation per year. Up to 5 unused days carry over.

- Requests go through the HR portal.
- Approval takes two working days.

| Grade | Days |
|-------|------|
| A | 25 |

## Travel
""" + " ".join(f"Travel rule number {i} says that receipts are required." for i in range(40))


def test_headings_start_passages_and_are_kept_as_paths() -> None:
    chunks = chunk_text(DOC, max_chars=400)
    assert [c.position for c in chunks] == list(range(len(chunks)))
    assert chunks[0].heading == "Handbook" and chunks[0].text.startswith("Welcome")
    vacation = [c for c in chunks if c.heading == "Handbook > Benefits > Vacation"]
    assert len(vacation) == 1
    text = vacation[0].text
    assert "25 days" in text and "- Approval takes two working days." in text
    assert "| A | 25 |" in text and "|---" not in text  # table rule rows dropped
    assert all("Travel rule" not in c.text for c in chunks if c.heading != "Handbook > Travel")


def test_passages_end_on_sentence_boundaries_and_respect_size() -> None:
    chunks = [c for c in chunk_text(DOC, max_chars=300) if c.heading.endswith("Travel")]
    assert len(chunks) > 5
    for c in chunks:
        assert len(c.text) <= 300
        assert c.text.startswith("Travel rule") and c.text.endswith("required.")


def test_overlong_sentence_is_cut_at_words() -> None:
    text = "word " * 500
    chunks = chunk_text(text, max_chars=100)
    assert all(len(c.text) <= 100 for c in chunks)
    assert sum(c.text.count("word") for c in chunks) == 500


def test_plain_text_without_headings() -> None:
    chunks = chunk_text("One. Two.\n\nThree.")
    assert len(chunks) == 1 and chunks[0].heading == ""
    assert chunks[0].text == "One. Two.\n\nThree."
    assert chunk_text("") == []


def test_sentence_splitter_handles_abbreviations_and_numbers() -> None:
    text = 'Dr. Smith paid $3.50 at 5 p.m. Yesterday. "Really?" she asked. J. Doe agreed, e.g. Tom.'
    assert split_sentences(text) == [
        "Dr. Smith paid $3.50 at 5 p.m. Yesterday.",
        '"Really?" she asked.',
        "J. Doe agreed, e.g. Tom.",
    ]


def test_incremental_splitter_emits_as_soon_as_next_sentence_starts() -> None:
    s = SentenceSplitter()
    assert s.feed("Hello the") == []
    assert s.feed("re. ") == []  # the next sentence has not started: could be "there. com"
    assert s.feed("How") == ["Hello there."]
    assert s.feed(" are you?") == []
    assert s.flush() == ["How are you?"]


def test_incremental_splitter_cuts_long_runs() -> None:
    s = SentenceSplitter(max_chars=50)
    out = s.feed("and then, " * 20)
    assert out and all(len(x) <= 50 for x in out)


def test_fullwidth_stops_end_sentences() -> None:
    assert split_sentences("今日は晴れです。明日は雨？「はい！」と言った。") == [
        "今日は晴れです。",
        "明日は雨？",
        "「はい！」と言った。",
    ]


def test_a_long_line_starting_with_hash_is_text_not_a_heading() -> None:
    line = "# " + "This line is far too long to be a heading. " * 10
    chunks = chunk_text(line, max_chars=200)
    assert chunks and chunks[0].heading == ""
    assert sum(c.text.count("too long") for c in chunks) == 10
