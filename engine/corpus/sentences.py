"""Seeded text for the TTS engines to read: our own vocabulary and templates, no borrowed text.

English: statements, questions, lists, numbers, names and exclamations of 3 to 25 words, a share
of them built from word pools that stress one articulation (bilabials p/b/m, labiodentals f/v,
rounded vowels w/oo/oh, spread vowels ee/ay). Other languages: a few templates over a small
vocabulary each, plus strings of that language's syllables. :func:`utterance` strings 1 to 3
sentences together with pauses of varied length between them (``,`` ``.`` ``...`` ``!``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from posetalk.errors import PosetalkError

MIN_WORDS, MAX_WORDS = 3, 25

# English vocabulary. Nouns are (singular, plural), verbs (base, past).
NAMES = (
    "Bob", "Pam", "Mabel", "Vivian", "Fiona", "Owen", "Ruby", "Theo", "Zoe", "Jack", "Sheila", "Hugo",
    "Yusuf", "Nadia", "Gwen", "Luke", "Chloe", "Dmitri", "Priya", "Mateo", "Aiko", "Kwame", "Ingrid",
    "Oliver", "Beatrice", "Xavier", "Judith", "Marcus", "Eve", "Thomas",
)
NOUNS = (
    ("map", "maps"), ("boat", "boats"), ("window", "windows"), ("bridge", "bridges"), ("garden", "gardens"),
    ("kitchen", "kitchens"), ("teacher", "teachers"), ("thumb", "thumbs"), ("zebra", "zebras"),
    ("wheel", "wheels"), ("shoe", "shoes"), ("judge", "judges"), ("ring", "rings"), ("yacht", "yachts"),
    ("basket", "baskets"), ("river", "rivers"), ("mountain", "mountains"), ("letter", "letters"),
    ("clock", "clocks"), ("guitar", "guitars"), ("sandwich", "sandwiches"), ("chair", "chairs"),
    ("engine", "engines"), ("doctor", "doctors"), ("orange", "oranges"), ("treasure", "treasures"),
    ("jacket", "jackets"), ("question", "questions"), ("ladder", "ladders"), ("castle", "castles"),
)
BILABIAL_NOUNS = (
    ("puppy", "puppies"), ("bubble", "bubbles"), ("pebble", "pebbles"), ("lamp", "lamps"),
    ("pumpkin", "pumpkins"), ("maple", "maples"), ("baby", "babies"), ("map", "maps"), ("ball", "balls"),
    ("mop", "mops"), ("pump", "pumps"), ("bump", "bumps"), ("bamboo", "bamboo"), ("plum", "plums"),
)
LABIODENTAL_NOUNS = (
    ("fox", "foxes"), ("violin", "violins"), ("feather", "feathers"), ("valve", "valves"), ("fever", "fevers"),
    ("van", "vans"), ("leaf", "leaves"), ("wave", "waves"), ("ferry", "ferries"), ("office", "offices"),
    ("coffee", "coffees"), ("favour", "favours"), ("vase", "vases"), ("fife", "fifes"),
)
ROUNDED_NOUNS = (
    ("boot", "boots"), ("moon", "moons"), ("shoe", "shoes"), ("pool", "pools"), ("boat", "boats"),
    ("goal", "goals"), ("window", "windows"), ("room", "rooms"), ("woman", "women"), ("owl", "owls"),
    ("stone", "stones"), ("spoon", "spoons"), ("road", "roads"), ("wool", "wool"),
)
SPREAD_NOUNS = (
    ("cheese", "cheeses"), ("key", "keys"), ("beach", "beaches"), ("bee", "bees"), ("eagle", "eagles"),
    ("cake", "cakes"), ("lake", "lakes"), ("table", "tables"), ("sheep", "sheep"), ("tree", "trees"),
    ("paper", "papers"), ("train", "trains"), ("street", "streets"), ("plate", "plates"),
)
VERBS = (
    ("buy", "bought"), ("find", "found"), ("move", "moved"), ("paint", "painted"), ("watch", "watched"),
    ("throw", "threw"), ("push", "pushed"), ("fix", "fixed"), ("bake", "baked"), ("carry", "carried"),
    ("visit", "visited"), ("borrow", "borrowed"), ("measure", "measured"), ("wash", "washed"),
    ("choose", "chose"), ("open", "opened"), ("share", "shared"), ("hide", "hid"), ("bring", "brought"),
    ("sell", "sold"), ("keep", "kept"), ("lose", "lost"), ("clean", "cleaned"), ("draw", "drew"),
)
ADJECTIVES = (
    "blue", "big", "smooth", "tiny", "heavy", "purple", "quiet", "yellow", "wet", "cheap", "famous",
    "vivid", "brave", "old", "shiny", "broken", "warm", "strange", "gentle", "huge", "empty", "lovely",
)
PLACES = (
    "at the beach", "in the market", "near the museum", "by the river", "in Boston", "at the station",
    "behind the school", "under the bridge", "in the garden", "on the boat", "at home", "in the office",
)
TIMES = (
    "yesterday", "on Monday", "at noon", "every morning", "last week", "in the evening", "this summer",
    "after lunch", "before dawn", "on Friday night", "two days ago", "in nineteen ninety-nine",
)
OPENERS = ("Well,", "So,", "Okay,", "Honestly,", "You know,", "Listen,", "Oh,", "Actually,")
EXCLAMATIONS = ("Wow!", "Oh no!", "Look!", "Amazing!", "Hooray!", "Oh my!", "Yes!", "Wait!", "Bravo!")
REASONS = (
    "because it was raining", "because nobody else would", "since the shop was closed",
    "although it was very late", "so that everyone could see", "while the music was playing",
)
_POOLS = {
    "general": NOUNS, "bilabial": BILABIAL_NOUNS, "labiodental": LABIODENTAL_NOUNS,
    "rounded": ROUNDED_NOUNS, "spread": SPREAD_NOUNS,
}
# How often each pool supplies a sentence's nouns.
_POOL_WEIGHTS = {"general": 0.6, "bilabial": 0.1, "labiodental": 0.1, "rounded": 0.1, "spread": 0.1}


def _pick(rng: np.random.Generator, options: Sequence):
    return options[int(rng.integers(len(options)))]


def _noun_phrase(rng: np.random.Generator, nouns: Sequence[tuple[str, str]], plural: bool = False) -> str:
    noun = _pick(rng, nouns)[1 if plural else 0]
    determiner = _pick(rng, ("the", "my", "our", "that", "a") if not plural else ("the", "some", "three", "my"))
    if determiner == "a" and noun[0] in "aeiou":
        determiner = "an"
    adjective = f"{_pick(rng, ADJECTIVES)} " if rng.random() < 0.5 else ""
    if determiner == "a" and adjective and adjective[0] in "aeiou":
        determiner = "an"
    return f"{determiner} {adjective}{noun}"


def _number(rng: np.random.Generator) -> str:
    kind = int(rng.integers(4))
    if kind == 0:
        return str(int(rng.integers(2, 100)))
    if kind == 1:
        return str(int(rng.integers(1900, 2031)))
    if kind == 2:
        return f"{int(rng.integers(1, 13))}:{int(rng.integers(0, 60)):02d}"
    return f"{int(rng.integers(1, 50))}.{int(rng.integers(1, 10))}"


def _statement(rng: np.random.Generator, nouns: Sequence[tuple[str, str]]) -> str:
    sentence = f"{_pick(rng, NAMES)} {_pick(rng, VERBS)[1]} {_noun_phrase(rng, nouns)}"
    if rng.random() < 0.6:
        sentence += f" {_pick(rng, PLACES)}"
    if rng.random() < 0.5:
        sentence += f" {_pick(rng, TIMES)}"
    if rng.random() < 0.3:
        sentence += f", {_pick(rng, REASONS)}"
    if rng.random() < 0.2:
        sentence = f"{_pick(rng, OPENERS)} {sentence}"
    return sentence + "."


def _question(rng: np.random.Generator, nouns: Sequence[tuple[str, str]]) -> str:
    kind = int(rng.integers(4))
    if kind == 0:
        return f"Did {_pick(rng, NAMES)} {_pick(rng, VERBS)[0]} {_noun_phrase(rng, nouns)} {_pick(rng, TIMES)}?"
    if kind == 1:
        return f"Where is {_noun_phrase(rng, nouns)}?"
    if kind == 2:
        return f"How many {_pick(rng, nouns)[1]} did you {_pick(rng, VERBS)[0]} {_pick(rng, PLACES)}?"
    return f"Why would {_pick(rng, NAMES)} {_pick(rng, VERBS)[0]} {_noun_phrase(rng, nouns, plural=True)}?"


def _list(rng: np.random.Generator, nouns: Sequence[tuple[str, str]]) -> str:
    count = int(rng.integers(3, 6))
    items = [_noun_phrase(rng, nouns) for _ in range(count)]
    lead = _pick(rng, ("We need", "Please bring", "I saw", "She packed", "They counted"))
    return f"{lead} {', '.join(items[:-1])} and {items[-1]}."


def _numbers(rng: np.random.Generator, nouns: Sequence[tuple[str, str]]) -> str:
    kind = int(rng.integers(3))
    if kind == 0:
        return f"The {_pick(rng, nouns)[0]} cost {_number(rng)} dollars."
    if kind == 1:
        return f"Meet {_pick(rng, NAMES)} at {_number(rng)} {_pick(rng, PLACES)}."
    return f"There were {_number(rng)} {_pick(rng, nouns)[1]}, not {_number(rng)}."


def _names(rng: np.random.Generator, nouns: Sequence[tuple[str, str]]) -> str:
    people = [str(name) for name in rng.choice(NAMES, size=int(rng.integers(2, 4)), replace=False)]
    return f"{', '.join(people[:-1])} and {people[-1]} {_pick(rng, VERBS)[1]} {_noun_phrase(rng, nouns, plural=True)}."


def _exclamation(rng: np.random.Generator, nouns: Sequence[tuple[str, str]]) -> str:
    kind = int(rng.integers(3))
    if kind == 0:
        what = _pick(rng, ("What a", "What a truly"))
        return f"{_pick(rng, EXCLAMATIONS)} {what} {_pick(rng, ADJECTIVES)} {_pick(rng, nouns)[0]}!"
    if kind == 1:
        return f"Look at {_noun_phrase(rng, nouns, plural=True)}!"
    return f"{_pick(rng, EXCLAMATIONS)} {_pick(rng, NAMES)} {_pick(rng, VERBS)[1]} {_noun_phrase(rng, nouns)}!"


_ENGLISH_TEMPLATES: tuple[Callable[[np.random.Generator, Sequence[tuple[str, str]]], str], ...] = (
    _statement, _statement, _statement, _question, _question, _list, _numbers, _names, _exclamation,
)


def english_sentence(rng: np.random.Generator) -> str:
    """One English sentence of 3 to 25 words."""
    pools = list(_POOL_WEIGHTS)
    pool = _POOLS[pools[int(rng.choice(len(pools), p=list(_POOL_WEIGHTS.values())))]]
    while True:
        sentence = _pick(rng, _ENGLISH_TEMPLATES)(rng, pool)
        if MIN_WORDS <= len(sentence.split()) <= MAX_WORDS:
            return sentence


# Other languages: subjects, verbs (agreeing with every subject), objects, places or times, and fixed
# questions and exclamations; "{s} {v} {o} {p}." in the language's word order.
_FOREIGN: dict[str, dict[str, tuple[str, ...]]] = {
    "es": {
        "s": ("mi madre", "el perro", "la niña", "Pablo", "mi hermano", "la maestra", "nuestro vecino", "el abuelo"),
        "v": ("come", "busca", "mira", "compra", "lleva", "pinta", "vende", "encuentra"),
        "o": ("una manzana", "el pan", "un libro", "la pelota", "una flor", "el mapa", "un vaso de agua", "la bicicleta"),
        "p": ("en la playa", "en casa", "en el mercado", "por la mañana", "cerca del río", "todos los días"),
        "order": ("{s} {v} {o} {p}.", "¿Por qué {s} {v} {o}?", "¿Quién {v} {o} {p}?", "{p}, {s} {v} {o}."),
        "fixed": ("¡Qué bonito!", "¡Muy bien, vamos!", "¿Dónde está el museo?", "Buenos días, ¿cómo estás?",
                  "Tengo veinte años.", "Hace mucho frío hoy."),
    },
    "fr": {
        "s": ("ma mère", "le chien", "la petite fille", "Paul", "mon frère", "la maîtresse", "notre voisin", "le grand-père"),
        "v": ("mange", "cherche", "regarde", "achète", "porte", "peint", "vend", "trouve"),
        "o": ("une pomme", "du pain", "un livre", "le ballon", "une fleur", "la carte", "un verre d'eau", "le vélo"),
        "p": ("à la plage", "à la maison", "au marché", "le matin", "près de la rivière", "tous les jours"),
        "order": ("{s} {v} {o} {p}.", "Pourquoi {s} {v} {o} ?", "Qui {v} {o} {p} ?", "{p}, {s} {v} {o}."),
        "fixed": ("Quelle belle journée !", "Très bien, allons-y !", "Où est la gare ?", "Bonjour, comment vas-tu ?",
                  "J'ai vingt ans.", "Il fait très froid aujourd'hui."),
    },
    "de": {
        "s": ("meine Mutter", "der Hund", "das kleine Mädchen", "Peter", "mein Bruder", "die Lehrerin", "unser Nachbar", "der Großvater"),
        "v": ("isst", "sucht", "sieht", "kauft", "trägt", "malt", "verkauft", "findet"),
        "o": ("einen Apfel", "das Brot", "ein Buch", "den Ball", "eine Blume", "die Karte", "ein Glas Wasser", "das Fahrrad"),
        "p": ("am Strand", "zu Hause", "auf dem Markt", "am Morgen", "am Fluss", "jeden Tag"),
        "order": ("{s} {v} {o} {p}.", "Warum {v} {s} {o}?", "Wer {v} {o} {p}?", "{s} {v} {p} {o}."),
        "fixed": ("Wie schön!", "Sehr gut, los geht's!", "Wo ist der Bahnhof?", "Guten Morgen, wie geht es dir?",
                  "Ich bin zwanzig Jahre alt.", "Heute ist es sehr kalt."),
    },
    "it": {
        "s": ("mia madre", "il cane", "la bambina", "Paolo", "mio fratello", "la maestra", "il nostro vicino", "il nonno"),
        "v": ("mangia", "cerca", "guarda", "compra", "porta", "dipinge", "vende", "trova"),
        "o": ("una mela", "il pane", "un libro", "la palla", "un fiore", "la mappa", "un bicchiere d'acqua", "la bicicletta"),
        "p": ("al mare", "a casa", "al mercato", "la mattina", "vicino al fiume", "ogni giorno"),
        "order": ("{s} {v} {o} {p}.", "Perché {s} {v} {o}?", "Chi {v} {o} {p}?", "{p}, {s} {v} {o}."),
        "fixed": ("Che bello!", "Molto bene, andiamo!", "Dov'è la stazione?", "Buongiorno, come stai?",
                  "Ho vent'anni.", "Oggi fa molto freddo."),
    },
    "pt": {
        "s": ("minha mãe", "o cachorro", "a menina", "Pedro", "meu irmão", "a professora", "o nosso vizinho", "o avô"),
        "v": ("come", "procura", "olha", "compra", "leva", "pinta", "vende", "encontra"),
        "o": ("uma maçã", "o pão", "um livro", "a bola", "uma flor", "o mapa", "um copo de água", "a bicicleta"),
        "p": ("na praia", "em casa", "no mercado", "de manhã", "perto do rio", "todos os dias"),
        "order": ("{s} {v} {o} {p}.", "Por que {s} {v} {o}?", "Quem {v} {o} {p}?", "{p}, {s} {v} {o}."),
        "fixed": ("Que bonito!", "Muito bem, vamos embora!", "Onde fica a estação?", "Bom dia, tudo bem?",
                  "Eu tenho vinte anos.", "Hoje está muito frio."),
    },
    "ru": {
        "s": ("моя мама", "собака", "маленькая девочка", "Пётр", "мой брат", "учительница", "наш сосед", "дедушка"),
        "v": ("ест", "ищет", "видит", "покупает", "несёт", "рисует", "продаёт", "находит"),
        "o": ("яблоко", "хлеб", "книгу", "мяч", "цветок", "карту", "стакан воды", "велосипед"),
        "p": ("на пляже", "дома", "на рынке", "утром", "у реки", "каждый день"),
        "order": ("{s} {v} {o} {p}.", "Почему {s} {v} {o}?", "Кто {v} {o} {p}?", "{p} {s} {v} {o}."),
        "fixed": ("Как красиво!", "Очень хорошо, пойдём!", "Где вокзал?", "Доброе утро, как дела?",
                  "Мне двадцать лет.", "Сегодня очень холодно."),
    },
    "hi": {
        "s": ("मेरी माँ", "कुत्ता", "छोटी लड़की", "राम", "मेरा भाई", "अध्यापिका", "हमारा पड़ोसी", "दादाजी"),
        "v": ("है",),
        "o": ("सेब", "रोटी", "किताब", "गेंद", "फूल", "नक्शा", "पानी", "साइकिल"),
        "p": ("घर में", "बाज़ार में", "नदी के पास", "स्कूल में", "बगीचे में", "मेज़ पर"),
        "order": ("{s} {p} {v}।", "क्या {o} {p} {v}?", "{p} {o} {v}।", "{o} लाओ, {s} {p} {v}।"),
        "fixed": ("बहुत अच्छा!", "चलो, जल्दी करो!", "स्टेशन कहाँ है?", "नमस्ते, आप कैसे हैं?",
                  "आज बहुत ठंड है।", "मुझे चाय पसंद है।"),
    },
    "ja": {
        "s": ("わたしは", "ともだちは", "せんせいは", "ねこは", "いぬは", "おかあさんは", "たなかさんは", "こどもは"),
        "v": ("たべます", "よみます", "のみます", "かいます", "みます", "かきます", "もちます", "あらいます"),
        "o": ("りんごを", "ほんを", "みずを", "おちゃを", "パンを", "てがみを", "はなを", "くるまを"),
        "p": ("いえで", "がっこうで", "こうえんで", "あさ", "まいにち", "えきで"),
        "order": ("{s} {p} {o} {v}。", "{s} {p} {o} {v}か？", "{p}、{s} {o} {v}。"),
        "fixed": ("すごい！", "おいしい！", "ありがとう ございます。", "おはよう ございます。",
                  "えきは どこですか？", "きょうは とても さむいです。"),
    },
    "ko": {
        "s": ("저는", "친구는", "선생님은", "고양이는", "아이는", "어머니는", "동생은", "할아버지는"),
        "v": ("먹어요", "읽어요", "마셔요", "사요", "봐요", "좋아해요", "찾아요", "가져와요"),
        "o": ("사과를", "책을", "물을", "빵을", "편지를", "꽃을", "우유를", "자전거를"),
        "p": ("집에서", "학교에서", "공원에서", "아침에", "매일", "시장에서"),
        "order": ("{s} {p} {o} {v}.", "{s} {p} {o} {v}?", "{p} {s} {o} {v}."),
        "fixed": ("정말 좋아요!", "감사합니다.", "안녕하세요, 만나서 반갑습니다.", "역이 어디예요?",
                  "오늘은 아주 추워요.", "빨리 가요!"),
    },
    # Pinyin with tone digits (5: neutral tone), what espeak-ng's cmn-latn-pinyin voice reads.
    "zh": {
        "s": ("wo3", "ta1", "wo3 de5 peng2 you5", "lao3 shi1", "xiao3 mao1", "ma1 ma5", "ge1 ge5", "ye2 ye5"),
        "v": ("chi1", "kan4", "mai3", "he1", "xie3", "xi3 huan5", "zhao3", "na2"),
        "o": ("ping2 guo3", "shu1", "shui3", "cha2", "xin4", "hua1", "mian4 bao1", "zi4 xing2 che1"),
        "p": ("zai4 jia1 li3", "zai4 xue2 xiao4", "zai4 gong1 yuan2", "mei3 tian1", "jin1 tian1 zao3 shang5",
              "zai4 shi4 chang3"),
        "order": ("{s} {p} {v} {o}.", "{s} {p} {v} {o} ma5?", "{p}, {s} {v} {o}."),
        "fixed": ("tai4 hao3 le5!", "xie4 xie5 ni3.", "ni3 hao3, hen3 gao1 xing4 ren4 shi5 ni3.",
                  "huo3 che1 zhan4 zai4 na3 li3?", "jin1 tian1 hen3 leng3.", "kuai4 zou3 ba5!"),
    },
}


def _syllables(language: str, rng: np.random.Generator) -> str:
    """A string of 3 to 8 pseudo-words made of the language's syllables (romanised languages use
    their own spelling of consonant-vowel syllables)."""
    words = []
    for _ in range(int(rng.integers(3, 9))):
        n = int(rng.integers(1, 4))
        if language == "ko":
            # Hangul syllable blocks: U+AC00 + (initial * 21 + medial) * 28 + final (Unicode ch. 3.12).
            word = "".join(chr(0xAC00 + (int(rng.integers(19)) * 21 + int(rng.integers(21))) * 28
                               + (int(rng.integers(28)) if rng.random() < 0.3 else 0)) for _ in range(n))
        elif language == "ja":
            word = "".join(_pick(rng, _KANA) for _ in range(n))
        elif language == "zh":
            word = " ".join(f"{_pick(rng, _PINYIN)}{int(rng.integers(1, 5))}" for _ in range(n))
        else:
            consonants, vowels = _ROMAN_SYLLABLES.get(language, ("bdfgklmnprstvz", "aeiou"))
            word = "".join(_pick(rng, consonants) + _pick(rng, vowels) for _ in range(n))
        words.append(word)
    return " ".join(words) + "."


_KANA = tuple("あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわがぎぐげござじずぜぞだでどばびぶべぼぱぴぷぺぽ")
_PINYIN = ("ba", "po", "ma", "fei", "da", "tou", "nu", "lu", "ge", "kan", "hao", "ji", "qiu", "xie", "zhong", "chi",
           "shan", "ren", "zi", "cai", "song", "yi", "wu", "yu", "yuan", "jing", "xiang", "mei", "feng", "liang")
_ROMAN_SYLLABLES: dict[str, tuple[str, str]] = {
    "es": ("bcdfglmnprstvz", "aeiou"),
    "it": ("bcdfglmnprstvz", "aeiou"),
    "pt": ("bcdfglmnprstvz", "aeiou"),
    "fr": ("bdfglmnprstv", "aeiouy"),
    "de": ("bdfgklmnprstwz", "aeiouäöü"),
    "ru": ("бвгдзклмнпрстфхш", "аеиоуыя"),
    "hi": ("कखगचजटडतदनपबमयरलवसह", "ािीुूेो"),
}


def foreign_sentence(language: str, rng: np.random.Generator) -> str:
    """One sentence in ``language`` (a code of :data:`LANGUAGES` other than ``en``): a template
    (60 %), a fixed question or exclamation (20 %) or a string of syllables (20 %)."""
    if language not in _FOREIGN:
        raise PosetalkError(f"no sentences for language {language!r}; known: {', '.join(LANGUAGES)}")
    words = _FOREIGN[language]
    draw = rng.random()
    if draw < 0.6:
        template = _pick(rng, words["order"])
        return template.format(**{slot: _pick(rng, words[slot]) for slot in "svop"})
    if draw < 0.8:
        return _pick(rng, words["fixed"])
    return _syllables(language, rng)


LANGUAGES: tuple[str, ...] = ("en", *_FOREIGN)
# Between sentences: a plain full stop, an ellipsis (a longer pause) or a new paragraph-like break.
_JOINS = (" ", " ... ", " ... ... ", "\n")


def utterance(language: str, rng: np.random.Generator) -> str:
    """1 to 3 sentences in ``language`` with pauses of varied length between them."""
    sentence = english_sentence if language == "en" else (lambda r: foreign_sentence(language, r))
    text = sentence(rng)
    for _ in range(int(rng.choice(3, p=[0.5, 0.35, 0.15]))):
        text += _pick(rng, _JOINS) + sentence(rng)
    return text
