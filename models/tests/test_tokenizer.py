import json

from captioner.data.tokenizer import SPECIALS, WordTokenizer, normalise


def test_round_trip_and_unknown_words(tmp_path):
    tok = WordTokenizer.build(["two red stars above a small blue square", "a cat"])
    assert tok.vocab[:4] == SPECIALS
    ids = tok.encode("Two red stars above a cat")
    assert tok.unk_id not in ids
    assert tok.decode(ids) == "two red stars above a cat"
    assert tok.encode("a zebra") == [tok.ids["a"], tok.unk_id]
    tok.save(tmp_path / "tokenizer.json")
    again = WordTokenizer.load(tmp_path / "tokenizer.json")
    assert again.vocab == tok.vocab


def test_hugging_face_json_layout(tmp_path):
    tok = WordTokenizer.build(["a b"])
    tok.save(tmp_path / "t.json")
    j = json.loads((tmp_path / "t.json").read_text())
    assert j["model"]["type"] == "WordPiece"  # loadable by @huggingface/tokenizers (no WordLevel there)
    assert j["pre_tokenizer"] == {"type": "Whitespace"}
    assert [t["content"] for t in j["added_tokens"]] == SPECIALS
    assert all(t["special"] for t in j["added_tokens"])


def test_normalise():
    assert normalise("  A Red, STAR! ") == "a red star"
