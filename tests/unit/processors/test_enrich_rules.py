"""Enricher rules on small texts: quotes, names, places, language, keywords, the interface."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from newswire.processors.enrich import DEFAULT_ENRICHERS, enrich
from newswire.processors.enrich.entities import people_and_organisations, places
from newswire.processors.enrich.keywords import _LOWER_ASCII_WORDS
from newswire.processors.enrich.keywords import _WORDS as _KEYWORD_WORDS
from newswire.processors.enrich.language import detect_language
from newswire.processors.enrich.names import _PHRASE, _SPEECH_AFTER, _followed_by_speech, _runs
from newswire.processors.enrich.quotes import _ENOUGH_WORDS, _QUOTED, _Sentences, _Words, find_quotes
from newswire.processors.enrich.quotes import _WORD as _QUOTE_WORD
from newswire.schemas import Entry, Person


def _entry(text: str) -> Entry:
    return Entry(id="t", story="s", version=1, op="create", seq=1, epoch="e", ts=0,
                 published_at=datetime(2024, 1, 1, tzinfo=UTC), body_text=text)  # fmt: skip


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        ('"We will not back down," Kirby said.', "Kirby"),
        ('"We will not back down," said Peskov.', "Peskov"),
        ('Senator Bernie Sanders said: "This bill is a giveaway to the industry."', "Bernie Sanders"),
        ('John Kirby spoke first. "We will not back down," he said.', "John Kirby"),
        ('In İzmir, John Kirby spoke first. "We will not back down," he said.', "John Kirby"),  # lower() longer
        ('Russia has pledged support, the statement declared, calling it "a war on terrorism at last."', None),
    ],
)
def test_quote_speaker(text: str, speaker: str | None) -> None:
    """The speaker is found after, before or through a pronoun; never invented."""
    found = find_quotes(text)
    assert len(found) == 1
    assert found[0]["speaker"] == speaker


def test_short_scare_quotes_are_not_quotations() -> None:
    """Quoted phrases of fewer than three words are not quotations."""
    assert find_quotes('Russia pledged support in "combating terrorism," the statement said.') == []


def test_people_places_and_organisations() -> None:
    """Titles, given names and organisation words classify capitalised phrases."""
    entry = enrich(_entry("Foreign Minister Sergey Lavrov met officials of the Bank of England in Geneva. "
                          "Lavrov said talks went well."))  # fmt: skip
    assert [p.name for p in entry.people] == ["Sergey Lavrov"]
    assert [o.name for o in entry.organisations] == ["Bank of England"]
    geneva = entry.places[0]
    assert (geneva.name, geneva.country_code) == ("Geneva", "CH")
    assert geneva.lat is not None and 46 < geneva.lat < 47


def test_ambiguous_city_needs_a_preposition() -> None:
    """A city that is also a given name is a place only after in/at/from…."""
    assert enrich(_entry("Victoria Beckham arrived late.")).places == []
    assert [p.name for p in enrich(_entry("The ferry arrived in Victoria late.")).places] == ["Victoria"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("The government said on Monday that the talks would continue in the capital.", "en"),
        ("Le gouvernement a annoncé que les négociations se poursuivront dans la capitale.", "fr"),
        ("Die Regierung sagte, dass die Gespräche in der Hauptstadt fortgesetzt werden.", "de"),
        ("Правительство заявило, что переговоры продолжатся в столице.", "ru"),
    ],
)
def test_language(text: str, code: str) -> None:
    """Common languages are recognised, other scripts through py3langid."""
    assert detect_language(text) == code


def test_language_of_text_without_letters_is_none() -> None:
    """A body of digits and punctuation has no language."""
    assert detect_language("12:30 — 4-2 !!") is None


def test_custom_enricher_runs_after_defaults() -> None:
    """A newsroom enricher sees the default fields and its output is validated."""

    def desk(entry: Entry) -> dict[str, Any]:
        return {"keywords": [*entry.keywords, f"people:{len(entry.people)}"]}

    entry = enrich(_entry("Kirby said the talks in Geneva would go on."), (*DEFAULT_ENRICHERS, desk))
    assert entry.keywords[-1] == "people:1"


def test_enricher_returning_a_bad_value_is_an_error() -> None:
    """An enricher that fills a field with the wrong type raises instead of emitting it."""
    with pytest.raises(ValidationError):
        enrich(_entry("text"), (lambda entry: {"people": ["not an object"]},))


def test_keywords_prefer_names_and_repeated_words() -> None:
    """Names and repeated content words come first; function words never."""
    entry = enrich(_entry("Flooding in Lagos: flooding closed roads. The flooding is the worst in years."))
    assert entry.keywords[:2] == ["flooding", "Lagos"]  # flooding 3 × 1, Lagos 1 × 2
    assert "the" not in entry.keywords


def test_keywords_leave_out_links_function_words_and_the_words_of_names() -> None:
    """The scheme and host of a link, function words and words of a name already counted are no keywords."""
    entry = enrich(_entry("Flooding flooding in Lagos, https://example.org/flooding-report said Lagos officials."))
    assert entry.keywords == ["Lagos", "flooding", "report", "officials"]


def test_custom_enricher_overriding_a_built_in_field_is_still_validated() -> None:
    """A newsroom enricher that replaces a built-in field with a bad value is refused."""
    with pytest.raises(ValidationError):
        enrich(_entry("Kirby said the talks in Geneva would go on."), (*DEFAULT_ENRICHERS, lambda e: {"people": [1]}))


def test_wrapped_built_in_enricher_is_validated() -> None:
    """Only the built-in enrichers themselves skip validation, not a wrapper calling one."""

    def spoiled_places(entry: Entry) -> dict[str, Any]:
        return {"places": [*places(entry)["places"], {"name": "Atlantis", "lat": "deep"}]}

    with pytest.raises(ValidationError):
        enrich(_entry("The ferry arrived in Geneva late."), (spoiled_places,))


def test_custom_enricher_dicts_become_models() -> None:
    """A newsroom enricher may return plain dicts; the entry holds the validated models."""
    entry = enrich(_entry("text"), (lambda entry: {"people": [{"name": "Ada Lovelace"}]},))
    assert entry.people == [Person(name="Ada Lovelace")]


def test_enricher_returning_an_unknown_field_is_an_error() -> None:
    """A field the entry does not have is refused by name."""
    with pytest.raises(ValueError, match="mood"):
        enrich(_entry("text"), (lambda entry: {"mood": "calm"},))


def test_built_in_output_is_what_validation_would_make() -> None:
    """The built-in enrichers' unvalidated output survives a round trip through the schema unchanged."""
    entry = enrich(_entry('"We will not back down," Foreign Minister Sergey Lavrov said in Geneva. #Syria @UN '
                          "https://example.org/a Officials of the Bank of England met in Moscow."))  # fmt: skip
    assert entry.quotes and entry.people and entry.places and entry.organisations and entry.hashtags
    assert Entry.model_validate(entry.model_dump()) == entry
    assert entry.model_fields_set >= {"quotes", "people", "places", "organisations", "language", "keywords"}


def test_enrich_leaves_the_input_entry_alone() -> None:
    """enrich() returns a new entry; the one passed in keeps its empty fields."""
    original = _entry("Kirby said the talks in Geneva would go on.")
    enriched = enrich(original)
    assert enriched.people and not original.people and enriched is not original


def test_hashtags_and_mentions_start_a_word() -> None:
    """A # or @ inside a word, an entity, a path or an address, or followed by digits only, marks nothing."""
    entry = enrich(_entry("#Syria and ##double, &#39; path/#frag, mail x@y.z, @RT.com and #2016 then #Geneva-talks."))
    assert entry.hashtags == ["Syria", "Geneva-talks"]
    assert entry.mentions == ["RT.com"]


def test_speech_after_pattern_agrees_with_the_word_rule() -> None:
    """The one-pattern check for "auxiliaries, then a speech verb" answers as the word-by-word rule does."""
    rng = random.Random(4)
    pieces = ["has", "had", "also", "said", "Said", "SAID", "told", "warned", "then", "earlier", "x", "2", "-", "é"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) + rng.choice(["", " ", ", ", "3", "'"]) for _ in range(8))
        for position in range(4):
            expected = _followed_by_speech(text, position)
            assert bool(_SPEECH_AFTER.match(text.lower(), position, position + 40)) == expected, (text, position)


def test_fields_set_before_enrichment_are_filled_again() -> None:
    """An entry built with the fields already set (people=[]) still gets the enricher's values."""
    entry = _entry("Kirby said the talks in Geneva would go on.").model_copy(update={"people": [], "organisations": []})
    assert [person.name for person in enrich(entry, (people_and_organisations,)).people] == ["Kirby"]


def test_no_enricher_output_returns_the_same_entry() -> None:
    """When no enricher fills anything, enrich() hands back the entry it was given."""
    entry = _entry("text")
    assert enrich(entry, (lambda e: {},)) is entry


def test_word_found_by_search_is_where_counting_words_puts_it() -> None:
    """Searching for a speech verb gives the offset that counting the words of the window gives."""
    rng = random.Random(7)
    pieces = ["said", "unsaid", "saidx", "2said", "-said", "’said", "Said", "he", "x", "é", "_", "tells"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) + rng.choice([" ", ", ", "", "."]) for _ in range(6))
        words = _Words(text)
        end = len(text)
        lowered = words.lowered(0, end)
        for word in {"said", "tells"}.intersection(lowered):
            for last in (False, True):
                index = len(lowered) - 1 - lowered[::-1].index(word) if last else lowered.index(word)
                expected = words.starts(0, end, index + 1)[index]
                assert words.start_of(0, end, index, word, last=last) == expected, (text, word, last)


def test_runs_found_from_capitals_are_the_runs_of_the_full_pattern() -> None:
    """Scanning from capitals only finds the same capitalised runs, particles first or inside."""
    rng = random.Random(11)
    pieces = "al-Assad Bashar said el-Sisi @al-X /al-Y x.al-Z ibn-Saud bin-Laden ash-Sham e-Mail - al-x xal-Q".split()
    pieces += ["#Syria", "#al-Bab", "#"]
    pieces += ["Ursula von der Leyen", "Ministry of Defence", "Putin’s"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) + rng.choice([" ", ", ", "", ". ", "\t", "\n"]) for _ in range(7))
        expected = [(match.start(), match.group(0)) for match in _PHRASE.finditer(text)]
        assert [(match.start(), match.group(0)) for match in _runs(text)] == expected, text


def test_keyword_words_of_lower_case_ascii_text_are_those_of_the_general_pattern() -> None:
    """The a-z scan for lower-cased ASCII text finds the words the Unicode pattern finds."""
    rng = random.Random(5)
    pieces = "word #tag @user a/path x-ray -lead 12abcd _under abc_def ab--cd http://e.com/page Über naïve".split()
    for _ in range(2000):
        text = "".join(rng.choice(pieces) + rng.choice([" ", ", ", "", ". ", "/", "-", "#"]) for _ in range(6)).lower()
        if text.isascii():
            assert _LOWER_ASCII_WORDS.findall(text) == _KEYWORD_WORDS.unicode.findall(text), text


def test_quotations_need_three_words_as_findall_counts_them() -> None:
    """The three-word search keeps exactly the quotations in which findall lists three words or more."""
    rng = random.Random(9)
    pieces = ["word", "it's", "re-run", "42", "x", "...", "’", "-", "été", "_", "a1"]
    for _ in range(3000):
        quoted = "".join(rng.choice(pieces) + rng.choice([" ", "", ", ", "\n"]) for _ in range(rng.randint(1, 6)))
        text = f'Before "{quoted}" after'
        counted = len(_QUOTE_WORD.on(text).findall(quoted)) >= 3
        assert bool(_ENOUGH_WORDS.on(text).search(text, 7, 9 + len(quoted))) == counted, quoted


def test_full_stops_inside_quotations_end_no_sentence() -> None:
    """A full stop inside a quotation does not split the sentence that holds it."""
    text = 'First one. He said "it is done. Really done." and left.\nNext line "x." here.'
    spans = [(match.start() + 1, match.end() - 1) for match in _QUOTED.finditer(text)]
    sentences = _Sentences(text, spans)
    assert sentences.bounds(text.index("He")) == (10, text.index("\n") - 0)
    assert sentences.bounds(text.index("here")) == (text.index("\n") + 1, len(text))


def _names(text: str) -> dict[str, list[str]]:
    entry = enrich(_entry(text))
    return {
        "people": [p.name for p in entry.people],
        "places": [p.name for p in entry.places],
        "organisations": [o.name for o in entry.organisations],
        "speakers": [q.speaker or "" for q in entry.quotes],
    }


def test_hyphenated_title_makes_the_following_words_a_person() -> None:
    """A title of titles joined by a hyphen works like one ("Director-General Tedros Adhanom Ghebreyesus")."""
    found = _names("The outbreak is an emergency, Director-General Tedros Adhanom Ghebreyesus told reporters.")
    assert found["people"] == ["Tedros Adhanom Ghebreyesus"]
    assert _names("Vice-President Kamala Harris landed.")["people"] == ["Kamala Harris"]


def test_known_organisation_or_place_before_a_title_is_named_too() -> None:
    """'UN Secretary-General António Guterres' names the UN and Guterres; 'UK Prime Minister …' the UK."""
    found = _names('"The situation is catastrophic," UN Secretary-General António Guterres said.')
    assert found == {"people": ["António Guterres"], "places": [], "organisations": ["UN"],
                     "speakers": ["António Guterres"]}  # fmt: skip
    found = _names("UK Prime Minister Keir Starmer met Russian Foreign Minister Sergey Lavrov.")
    assert found["places"] == ["UK"]
    assert found["people"] == ["Keir Starmer", "Sergey Lavrov"]
    assert found["organisations"] == []


def test_storm_names_are_not_people() -> None:
    """'Storm Ciarán' or 'Hurricane Milton' is no person, even when the second word is a given name."""
    assert _names("Storm Ciarán brought floods as Hurricane Milton said goodbye to Florida.")["people"] == []


def test_acronym_next_to_a_speech_verb_is_not_a_person() -> None:
    """'AFAD said' is an agency speaking, not a person; a surname next to a verb still is one."""
    assert _names("Rescuers pulled 14 people out, AFAD said.")["people"] == []
    assert _names("Rescuers pulled 14 people out, Yerlikaya said.")["people"] == ["Yerlikaya"]


def test_place_joined_to_a_place_needs_no_preposition() -> None:
    """'in Cornwall and Devon': Devon (also a given name) is a place like Cornwall; alone it is not."""
    assert _names("Floods hit homes in Cornwall and Devon overnight.")["places"] == ["Cornwall", "Devon"]
    assert _names("Devon arrived late.")["places"] == []


def test_words_after_a_person_and_of_name_an_organisation() -> None:
    """'Rebecca Vincent of Reporters Without Borders': the words after 'of' name her organisation."""
    found = _names("The verdict was condemned by Rebecca Vincent of Reporters Without Borders on Tuesday.")
    assert found["organisations"] == ["Reporters Without Borders"]
    assert found["people"] == ["Rebecca Vincent"]


@pytest.mark.parametrize(
    ("text", "person", "place"),
    [
        ("Bundeskanzler Olaf Scholz sagte in Berlin, die Hilfen gehen weiter.", "Olaf Scholz", "Berlin"),
        ("Le Premier ministre Gabriel Attal a annoncé à Paris un plan de soutien.", "Gabriel Attal", "Paris"),
        ("El Presidente Gustavo Petro viajó desde Bogotá.", "Gustavo Petro", "Bogotá"),
    ],
)
def test_titles_and_prepositions_of_other_languages(text: str, person: str, place: str) -> None:
    """Titles (Bundeskanzler, Presidente) and prepositions (à, desde) of other languages count."""
    found = _names(text)
    assert person in found["people"]
    assert place in found["places"]


def test_a_hashtag_is_a_name_of_its_own() -> None:
    """'#Beirut John Kirby noted: "…"': the hashtag names a place, the words after it a person."""
    found = _names('Talks went on. #Beirut John Kirby noted: "The situation in Aleppo is changing quickly."')
    assert found["people"] == ["John Kirby"]
    assert found["speakers"] == ["John Kirby"]
    assert found["places"] == ["Beirut", "Aleppo"]


def test_title_of_something_before_a_name() -> None:
    """'Secretary of State Antony Blinken': after what the title is of, a given name starts a person's name."""
    found = _names(
        "Secretary of State Antony Blinken met Minister for Foreign Affairs Penny Wong at the United Nations."
    )
    assert found["people"] == ["Antony Blinken", "Penny Wong"]
    assert found["organisations"] == ["United Nations"]
    assert _names("The Bank of Jordan Valley branch closed.")["people"] == []  # no title: no person
