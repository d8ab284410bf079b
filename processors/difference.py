"""Whether two near-identical posts say the same thing: the words that differ decide.

MinHash (:mod:`.neardup`) finds candidates: posts of the story whose word bigrams mostly
match a new one. Similar wording is not the same news, though. A live blog is full of posts
that differ by one word or one number and are different news ("2-1" then "3-1", "open"
then "closed", "Putin said" then "Assad said"). :func:`compare` lines the two texts up word
by word (:class:`difflib.SequenceMatcher`) and calls them the same post only when every
difference is one of these, which carry no news:

- case, punctuation, quote marks, whitespace, emoji (not words at all here);
- a leading label: ``Update:``, ``UPDATE 2:``, ``BREAKING:``, ``Eilmeldung:``, a time stamp
  (``18:30 GMT -``);
- a retweet or attribution prefix (``RT @user:``, ``@RT.com:``) on one side only;
- links: the same target up to tracking parameters, scheme, ``www.`` and a trailing slash,
  or links on one side only (a feed copy that leaves them out);
- hashtags added or removed (``#UWCL`` appended), or ``#Syria`` against ``Syria``;
- a credit added (``via @user``, ``h/t @user``);
- an article (``a``, ``an``, ``the``);
- another form of the same reporting verb (``says``/``said``, ``has said``/``said``);
- British against American spelling (``defence``/``defense``, ``organising``/``organizing``);
- a spelling fix: one word that differs by one letter, or by two adjacent letters swapped, where one
  of the two is an English word and the other is not (``withdrawl``/``withdrawal``; pyspellchecker's
  word list). Two real words (``fight``/``flight``) or two unknown ones (names: ``Marea``/``Mareb``)
  may be different news. Words of state, number, time or negation never count as a fix;
- the end of the text cut off on the new side, which says so (``…``, ``...``, ``Read more``).

Every other difference is news, or may be: the entry is delivered. The reason names the
first such difference: a different source (``@A:`` against ``@B:``), a link to a different
target, a different embedded post, or, in reading order, the first block of differing words,
by the first kind that fits it: a negation, a number or quantity (``2-1``, ``14``,
``dozens``), a time or date, a state or verdict (open/closed, confirmed/denied, won/lost…),
a quote's speaker (a name beside a reporting verb), a person, place or organisation (a
capitalised word, a hashtag or a mention), or other words. The word lists for
those reasons are English with a few common words of French, German, Spanish, Italian and
Portuguese; they only name the reason. The decision itself is not language-bound: an
unknown word that differs is news in any language.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlencode, urlsplit

from spellchecker import SpellChecker

from .normalise import clean_url

__all__ = ["Post", "Verdict", "compare", "load_dictionary", "post_of"]


class _Token(NamedTuple):
    norm: str  # case-folded, without # or @
    raw: str
    kind: str  # "word", "number", "hashtag", "mention"
    capitalised: bool  # an upper-case first letter that does not start a sentence


@dataclass(frozen=True)
class Verdict:
    """``same`` when the two posts say the same thing; ``reason`` says what differs (or only what does not)."""

    same: bool
    reason: str


@dataclass(frozen=True)
class Post:
    """What :func:`compare` needs of an entry: its text, its HTML (for link targets) and its embedded posts."""

    text: str
    html: str = ""
    #: one identity per embedded post: its link when it has one, else its text
    embeds: frozenset[str] = field(default_factory=frozenset)


def post_of(text: str, html: str = "", embeds: Any = ()) -> Post:
    """A :class:`Post` from an entry's fields; ``embeds`` are :class:`~newswire.schemas.Embed` models or dicts."""
    identities = set()
    for embed in embeds or ():
        url = embed.get("url") if isinstance(embed, dict) else embed.url
        body = embed.get("text", "") if isinstance(embed, dict) else embed.text
        identities.add(_link_target(url) if url else " ".join(body.casefold().split()))
    return Post(text, html, frozenset(identities))


# --- what carries no news --------------------------------------------------------------------------

_LABEL = re.compile(
    r"^\s*(?:\d{1,2}[:.]\d{2}\s*(?:\(?(?:gmt|utc|bst|cet|cest|est|edt|ist|pst|pdt)\)?)?"
    r"|update(?:d)?(?:\s*\d+)?|breaking(?:\s+news)?|just\s+in|developing|latest|new|correction|urgent|flash"
    r"|live|watch|eilmeldung|aktuell|alerte|derni[eè]re\s+minute|[uú]ltima\s+hora|urgente|ultim['’]?ora"
    r"|ultima\s+ora|срочно)\s*[:\-–—|]\s*",
    re.IGNORECASE,
)
_ATTRIBUTION = re.compile(r"^\s*(?:RT\s+)?@([\w.]+)\s*:\s*", re.IGNORECASE)
_RETWEET = re.compile(r"^\s*RT\s+(?=@)", re.IGNORECASE)
_CUT_OFF = re.compile(r"(?:…|\.\.\.|\[…\]|\[\.\.\.\]|read\s+more|continue\s+reading|more\s*»)\W*$", re.IGNORECASE)
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"']+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)+/[^\s<>\"']*", re.IGNORECASE)
_HREF = re.compile(r"""href\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_TOKEN = re.compile(
    r"([^\w#@]*)"  # the gap before the token (sentence ends, quote marks, spaces)
    r"(?:(\d+(?:[.,:]\d+)*(?:%|[^\W\d_]{1,3}\b)?)"  # a number: 9,000 4.5% 19:16 67th 3bn 10am
    r"|([#@][^\W_]\w*(?:\.[^\W_]\w*)*)"  # a hashtag or mention: #Syria @RT.com
    r"|([^\W\d_]+(?:['’][^\W\d_]+)*))"  # a word: Moscow's don't
)
_SENTENCE_BREAK = re.compile(r"[.!?:;\n]")

_ARTICLES = frozenset({"a", "an", "the"})
_AUXILIARIES = frozenset({"has", "have", "had"})
#: Adverbs that add no fact when added or left out ("have now been arrested"); replaced by another word they may.
_FILLERS = frozenset({"now", "also", "just"})
_TRAILING_CREDIT = re.compile(r"[\s\-–—]*\(\s*((?:[A-Z][\w.&'’-]*\s*){1,3})\)\W*$")
_REPORTING_FORMS = (
    ("say", "says", "said", "saying"), ("tell", "tells", "told", "telling"), ("add", "adds", "added", "adding"),
    ("write", "writes", "wrote", "writing"), ("tweet", "tweets", "tweeted"), ("post", "posts", "posted"),
    ("state", "states", "stated"), ("announce", "announces", "announced"), ("report", "reports", "reported"),
    ("note", "notes", "noted"),
)
_REPORTING_LEMMA = {form: forms[0] for forms in _REPORTING_FORMS for form in forms}
_SPEECH = frozenset(_REPORTING_LEMMA) | {"according", "insisted", "warned", "claimed", "asked", "replied",
                                         "declared", "explained", "argued", "dit", "sagte", "dijo", "disse"}
_CREDIT_WORDS = frozenset({"via", "h", "t", "ht", "rt", "credit", "source"})

# --- the words that name a reason ------------------------------------------------------------------

_NEGATIONS = frozenset(
    "not no never none nobody nothing neither nor without cannot nowhere hardly barely yet "
    "ne pas jamais aucun aucune rien nicht kein keine keinen keiner nie niemals nein nunca nada ningún ninguna "
    "não nao nem non mai nessuno nessuna".split()
)
_NUMBER_WORDS = frozenset(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred hundreds "
    "thousand thousands million millions billion billions trillion dozen dozens half quarter first second "
    "third fourth fifth sixth seventh eighth ninth tenth last several few many single double triple twice once "
    "more less fewer most least all some no".split()
)
_TIME_WORDS = frozenset(
    "january february march april may june july august september october november december jan feb mar apr "
    "jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday mon tue tues wed "
    "thu thur thurs fri sat sun today tonight yesterday tomorrow morning afternoon evening night overnight "
    "midnight noon midday dawn dusk am pm gmt utc bst cet cest est edt pst pdt ist hour hours minute minutes "
    "day days week weeks weekend month months year years decade earlier later ago soon before after since "
    "until till now then early late".split()
)
_STATES = frozenset(
    "open opens opened opening reopen reopens reopened closed close closes closing shut shuts reopening "
    "confirmed confirm confirms confirmation denied deny denies denial alive dead death deaths died dies die "
    "killed injured wounded hurt survived survive safe missing found rescued won win wins winning lost lose "
    "loses losing beat beaten draw drew drawn leads lead leading trails trail trailing ahead behind up down "
    "rose rise rises rising fell fall falls falling higher lower high low increase increased decrease "
    "decreased raised raise cut cuts held hold holds holding kept keep keeps guilty innocent acquitted "
    "convicted sentenced approved approve approves rejected reject rejects passed pass fails failed fail "
    "accepted accept accepts refused refuse refuses resigned resign resigns stays stay stayed arrested "
    "released freed charged cleared started starts start began begins begin ended ends end finished "
    "cancelled canceled postponed delayed suspended resumed lifted imposed banned allowed blocked "
    "legal illegal true false yes on off for against in out over under full empty more less better worse "
    "expected unexpected likely unlikely possible impossible certain uncertain".split()
)


#: Share and feed parameters that :func:`~.normalise.clean_url` keeps (it removes the common trackers) and that
#: still name the same target: the BBC's feed ``at_*``, the Guardian's ``CMP``, X's ``s`` and ``t``.
_SHARE_PARAMS = frozenset({"cmp", "ito", "ocid", "ref", "src", "ns_mchannel", "ns_source", "ns_campaign",
                           "ns_linkname", "ns_fee", "xtor", "soc_src", "soc_trk", "guccounter", "sh"})
_SHARE_PREFIXES = ("at_",)
_X_HOSTS = frozenset({"twitter.com", "x.com"})


def _link_target(url: str) -> str:
    """The link's target as a comparable string: tracking and share parameters, scheme, ``www.``, a fragment
    and a final ``/`` left out."""
    url = url.strip().rstrip(".,;:!?)]}'\"»”")
    if not re.match(r"[a-z][a-z0-9+.-]*://", url, re.IGNORECASE):
        url = "http://" + url
    try:
        parts = urlsplit(clean_url(url))
        host = (parts.hostname or "").casefold()
    except ValueError:
        return url.casefold()
    host = re.sub(r"^(?:www|m|mobile)\.", "", host)
    if host == "x.com":
        host = "twitter.com"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k.casefold() not in _SHARE_PARAMS and not k.casefold().startswith(_SHARE_PREFIXES)
             and not (host in _X_HOSTS and k in ("s", "t"))]
    target = host + parts.path.rstrip("/")
    return (target + "?" + urlencode(query) if query else target).casefold()


@functools.lru_cache(maxsize=1024)
def _links(post: Post) -> frozenset[str]:
    found = {_link_target(url) for url in _URL.findall(post.text)}
    if post.html and "href" in post.html:
        found.update(_link_target(href) for href in _HREF.findall(post.html) if href.startswith(("http", "//")))
    found.discard("")
    return frozenset(found)


class _Prepared(NamedTuple):
    """A text's tokens as parallel lists (only the differing blocks become :class:`_Token` objects)."""

    norms: list[str]
    raws: list[str]
    kinds: list[str]
    starts: list[bool]  # the token starts a sentence
    source: str | None  # the handle of a retweet / attribution prefix
    cut_off: bool  # the text ends by saying it was cut short
    labelled: bool  # a leading label was removed


@functools.lru_cache(maxsize=1024)
def _prepare(text: str) -> _Prepared:
    """The text's tokens and what was removed before them. Cached: in a story of posts alike (goals, tolls) the
    same remembered entry is a candidate for many new ones. Callers must not modify the tokens list."""
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    if "/" in text or "www." in text:  # every link pattern needs one; the scan costs more than the check
        text = _URL.sub(" ", text)
    source = None
    labelled = False
    previous = None
    while previous != text:  # "UPDATE: RT @x: 18:30 GMT - …"
        previous = text
        stripped = _LABEL.sub("", text, count=1)
        labelled = labelled or stripped != text
        text = stripped
        attribution = _ATTRIBUTION.match(text)
        if attribution:
            source = attribution.group(1).casefold()
            text = text[attribution.end():]
        text = _RETWEET.sub("", text)
    tail = max(len(text) - 60, 0)  # both patterns end the text: searching only its tail saves a full scan
    cut_off = _CUT_OFF.search(text, tail)
    if cut_off:
        text = text[:cut_off.start()]
    credit = _TRAILING_CREDIT.search(text, max(len(text) - 60, 0))
    if credit:  # "… Putin says (Reuters)"
        source = source or credit.group(1).strip().casefold()
        text = text[:credit.start()]
    norms: list[str] = []
    raws: list[str] = []
    kinds: list[str] = []
    starts: list[bool] = []
    spelled_out = False  # the last token is a single letter, or letters joined by points ("U.S")
    for gap, number, tag, word in _TOKEN.findall(text):  # one C-level pass; most gaps are a single space
        starts.append(not raws or (not gap.isspace() and _SENTENCE_BREAK.search(gap) is not None))
        if word:
            if gap == "." and len(word) == 1 and raws and kinds[-1] == "word" and spelled_out:
                raws[-1] += word  # "U.S." and "US" are one word
                norms[-1] += word.casefold()
                starts.pop()
                continue
            spelled_out = len(word) == 1
            raws.append(word)
            kinds.append("word")
            norms.append(word.casefold().replace("’", "'") if "’" in word else word.casefold())
        elif number:
            spelled_out = False
            raws.append(number)
            kinds.append("number")
            norms.append(number.casefold())
        else:
            spelled_out = False
            raws.append(tag)
            kinds.append("hashtag" if tag[0] == "#" else "mention")
            norms.append(tag[1:].casefold())
    return _Prepared(norms, raws, kinds, starts, source, cut_off is not None, labelled)


def _tokens(prepared: _Prepared, start: int, end: int) -> list[_Token]:
    """Tokens ``start:end`` of a prepared text."""
    return [_Token(prepared.norms[i], prepared.raws[i], prepared.kinds[i],
                   prepared.kinds[i] != "word" and prepared.kinds[i] != "number"
                   or (prepared.kinds[i] == "word" and prepared.raws[i][0].isupper() and not prepared.starts[i]))
            for i in range(max(start, 0), min(end, len(prepared.norms)))]


def _one_letter_apart(a: str, b: str) -> bool:
    """One letter replaced, added or removed, or two adjacent letters swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        return len(diffs) == 1 or (len(diffs) == 2 and diffs[1] == diffs[0] + 1
                                   and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]])
    short, long = (a, b) if len(a) < len(b) else (b, a)
    for i in range(len(long)):
        if long[:i] + long[i + 1:] == short:
            return True
    return False


_BRITISH = ((re.compile(r"is(e|es|ed|ing|ation|ations)$"), r"iz\1"), (re.compile(r"ys(e|es|ed|ing)$"), r"yz\1"),
            (re.compile(r"our(s|ed|ing|ite|ites|ful)?$"), r"or\1"), (re.compile(r"ence$"), "ense"),
            (re.compile(r"([^aeiou])tre(s)?$"), r"\1ter\2"), (re.compile(r"ogue(s)?$"), r"og\1"),
            (re.compile(r"ell(ed|ing|er|ers)$"), r"el\1"))


def _american(word: str) -> str:
    """The word with British spelling endings in their American form (``organising`` → ``organizing``)."""
    if len(word) < 5:  # "our"/"or", "four"/"for"
        return word
    for pattern, american in _BRITISH:
        word = pattern.sub(american, word)
    return word


@functools.cache
def _english() -> SpellChecker:
    """pyspellchecker's English word list (~40 MB): loaded once, at the worker's start (:func:`load_dictionary`)."""
    return SpellChecker(language="en", distance=1)


def load_dictionary() -> None:
    """Load the word list for spelling fixes now (0.7 s), not as a stall on the first entry that needs it."""
    _english()


def _misspelling_of_other(a: str, b: str) -> bool:
    """One word is in the dictionary and the other is not: a fixed typo (``goverment``/``government``). Two real
    words (``fight``/``flight``, ``trial``/``trail``) or two unknown ones (names) may be different news."""
    known = _english().known([a, b])
    return len(known) == 1


def _is_meaningful_word(norm: str) -> bool:
    return norm in _NEGATIONS or norm in _NUMBER_WORDS or norm in _TIME_WORDS or norm in _STATES


def _harmless(old: list[_Token], new: list[_Token], old_after: _Token | None, new_after: _Token | None,
              at_new_end: bool, new_cut_off: bool) -> str | None:
    """What a differing block is when it carries no news (a short description), else None."""
    old_norms = [t.norm for t in old]
    new_norms = [t.norm for t in new]
    changed = old + new
    if all(t.norm in _ARTICLES for t in changed):
        return "an article"
    if (not old or not new) and all(t.kind == "hashtag" for t in changed):
        return "hashtags"
    if (not old or not new) and all(t.norm in _FILLERS for t in changed):
        return "a filler word"
    if ((not old or not new) and changed and changed[0].norm in _CREDIT_WORDS
            and all(t.kind == "mention" or t.norm in _CREDIT_WORDS for t in changed)
            and any(t.kind == "mention" for t in changed)):
        return "a credit"  # "via @user", "h/t @user"
    if len(old) == 1 and len(new) == 1:
        a, b = old_norms[0], new_norms[0]
        if a in _REPORTING_LEMMA and _REPORTING_LEMMA[a] == _REPORTING_LEMMA.get(b):
            return "a form of a reporting verb"
        if old[0].kind == new[0].kind == "word" and not _is_meaningful_word(a) and not _is_meaningful_word(b):
            if _american(a) == _american(b):
                return "British and American spelling"
            if (min(len(a), len(b)) >= 4 and "'" not in a + b and _one_letter_apart(a, b)
                    and _misspelling_of_other(a, b)):
                return "a spelling fix"
    if not old or not new:
        inserted = old or new
        after = old_after if old else new_after
        if all(t.norm in _AUXILIARIES for t in inserted) and after is not None and after.norm in _REPORTING_LEMMA:
            return "a form of a reporting verb"
    if old and at_new_end and new_cut_off and (not new or (len(new) == 1 and old[0].norm.startswith(new[0].norm))):
        return "the end cut off"  # a cut-off copy may end in half a word: "… military gains" → "… milita…"
    return None


def _news_kind(block: list[_Token], context: list[_Token]) -> str:
    """Which kind of news a differing block carries (the first that applies)."""
    norms = [t.norm for t in block]
    if any(n in _NEGATIONS or n.endswith("n't") for n in norms):
        return "a negation"
    if any(t.kind == "number" or t.norm in _NUMBER_WORDS for t in block):
        return "a number or quantity"
    if any(n in _TIME_WORDS for n in norms):
        return "a time or date"
    if any(n in _STATES for n in norms):
        return "a state or verdict"
    if any(t.capitalised for t in block):
        if any(t.norm in _SPEECH for t in context):
            return "a quote's speaker"
        return "a person, place or organisation"
    return "other words"


def _handle(source: str) -> str:
    """An account handle without its punctuation: ``@RT.com`` and ``@RT_com`` are one account."""
    return re.sub(r"[\W_]", "", source)


def _quoted(tokens: list[_Token]) -> str:
    """A block's words for a reason, shortened past ten words."""
    words = [t.raw for t in tokens]
    return " ".join(words[:10]) + (" …" if len(words) > 10 else "") if words else "nothing"


def compare(kept: Post, new: Post) -> Verdict:
    """Whether ``new`` says what ``kept`` already said: ``same`` only when nothing that differs carries news."""
    first, second = _prepare(kept.text), _prepare(new.text)
    harmless: list[str] = []
    if first.source and second.source and _handle(first.source) != _handle(second.source):
        return Verdict(False, f"differs in a different source: @{first.source} → @{second.source}")
    links_kept, links_new = _links(kept), _links(new)
    if links_kept and links_new and links_kept != links_new:
        return Verdict(False, "differs in a link to a different target: "
                              + (", ".join(sorted(links_new - links_kept)) or "fewer links"))
    if links_kept != links_new:
        harmless.append("links on one side only")
    if kept.embeds and new.embeds and kept.embeds != new.embeds:
        return Verdict(False, "differs in a different embedded post")
    opcodes = [] if first.norms == second.norms else SequenceMatcher(
        None, first.norms, second.norms, autojunk=False).get_opcodes()
    for tag, i1, i2, j1, j2 in opcodes:  # in reading order: the first difference that carries news decides
        if tag == "equal":
            continue
        old, new_block = _tokens(first, i1, i2), _tokens(second, j1, j2)
        old_after, new_after = _tokens(first, i2, i2 + 1), _tokens(second, j2, j2 + 1)
        what = _harmless(old, new_block, old_after[0] if old_after else None, new_after[0] if new_after else None,
                         at_new_end=j2 == len(second.norms), new_cut_off=second.cut_off)
        if what:
            harmless.append(what)
            continue
        context = _tokens(first, i1 - 3, i2 + 3) + _tokens(second, j1 - 3, j2 + 3)
        kind = _news_kind(old + new_block, context)
        return Verdict(False, f"differs in {kind}: {_quoted(old)!r} → {_quoted(new_block)!r}")
    if first.labelled != second.labelled:
        harmless.append("a label")
    if (first.source is None) != (second.source is None):
        harmless.append("a retweet or attribution prefix")
    if not harmless:
        harmless.append("case, punctuation or whitespace" if kept.text != new.text else "nothing")
    return Verdict(True, "differs only in " + ", ".join(dict.fromkeys(harmless)))
