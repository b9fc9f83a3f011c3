"""The .nfo / .json sidecars media servers leave beside movies, as they write them."""

from pathlib import Path

import pytest

from subsmith.metadata import sidecars

# As Kodi 20 exports a movie (trimmed of artwork), with a scraper URL after the XML,
# which Kodi accepts and a plain XML parser does not.
KODI_MOVIE = """<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>
<!--created on 2024-02-11 20:14:05 - Kodi 20.2 -->
<movie>
    <title>Sense and Sensibility</title>
    <originaltitle>Sense and Sensibility</originaltitle>
    <ratings>
        <rating name="themoviedb" max="10" default="true"><value>7.4</value><votes>2000</votes></rating>
    </ratings>
    <userrating>0</userrating>
    <outline></outline>
    <plot>Rich Mr. Dashwood dies, leaving his second wife and her three daughters poor.</plot>
    <tagline>Lose your heart and come to your senses.</tagline>
    <runtime>136</runtime>
    <thumb spoof="" cache="" aspect="poster">https://image.tmdb.org/t/p/original/x.jpg</thumb>
    <mpaa>Rated PG</mpaa>
    <id>tt0114388</id>
    <uniqueid type="imdb">tt0114388</uniqueid>
    <uniqueid type="tmdb" default="true">4584</uniqueid>
    <genre>Drama</genre>
    <genre>Romance</genre>
    <credits>Emma Thompson</credits>
    <director>Ang Lee</director>
    <premiered>1995-12-13</premiered>
    <year>1995</year>
    <studio>Columbia Pictures</studio>
    <actor>
        <name>Emma Thompson</name>
        <role>Elinor Dashwood</role>
        <order>0</order>
        <thumb>https://image.tmdb.org/t/p/original/a.jpg</thumb>
    </actor>
    <actor>
        <name>Alan Rickman</name>
        <role>Colonel Brandon</role>
        <order>2</order>
    </actor>
    <actor>
        <name>Kate Winslet</name>
        <role>Marianne Dashwood</role>
        <order>1</order>
    </actor>
    <actor>
        <name>Hugh Grant</name>
        <role>Edward Ferrars</role>
        <order>3</order>
    </actor>
    <actor>
        <name>Greg Wise</name>
        <role>John Willoughby</role>
        <order>4</order>
    </actor>
    <actor>
        <name>Gemma Jones</name>
        <role>Mrs. Dashwood</role>
        <order>5</order>
    </actor>
    <fileinfo><streamdetails><video><codec>h264</codec></video></streamdetails></fileinfo>
</movie>
https://www.themoviedb.org/movie/4584
"""

# As Jellyfin writes a show and an episode (Jellyfin puts <tmdbid> too).
JELLYFIN_SHOW = """<?xml version="1.0" encoding="utf-8" standalone="yes"?>
<tvshow>
  <plot><![CDATA[Walter White, a chemistry teacher, is diagnosed with cancer.]]></plot>
  <lockdata>false</lockdata>
  <title>Breaking Bad</title>
  <originaltitle>Breaking Bad</originaltitle>
  <actor>
    <name>Bryan Cranston</name>
    <role>Walter White</role>
    <type>Actor</type>
    <sortorder>0</sortorder>
  </actor>
  <actor>
    <name>Aaron Paul</name>
    <role>Jesse Pinkman</role>
    <type>Actor</type>
    <sortorder>1</sortorder>
  </actor>
  <year>2008</year>
  <premiered>2008-01-20</premiered>
  <tmdbid>1396</tmdbid>
  <imdb_id>tt0903747</imdb_id>
  <uniqueid type="tmdb">1396</uniqueid>
  <uniqueid type="tvdb">81189</uniqueid>
</tvshow>
"""

JELLYFIN_EPISODE = """<?xml version="1.0" encoding="utf-8" standalone="yes"?>
<episodedetails>
  <plot><![CDATA[Walt and Jesse clean up after the bathtub incident.]]></plot>
  <title>...And the Bag's in the River</title>
  <director>Adam Bernstein</director>
  <credits>Vince Gilligan</credits>
  <actor>
    <name>Max Arciniega</name>
    <role>Krazy-8</role>
    <type>GuestStar</type>
  </actor>
  <actor>
    <name>Aaron Paul</name>
    <role>Jesse Pinkman</role>
    <type>Actor</type>
  </actor>
  <episode>3</episode>
  <season>1</season>
  <aired>2008-02-10</aired>
  <uniqueid type="tmdb">62087</uniqueid>
</episodedetails>
"""


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding=encoding)
    return path


def test_kodi_movie_nfo(tmp_path):
    movie = tmp_path / "Sense and Sensibility (1995).mkv"
    movie.touch()
    _write(tmp_path / "Sense and Sensibility (1995).nfo", KODI_MOVIE)
    nfo = sidecars.movie_nfo(movie, ["mkv"])
    data = sidecars.read_movie_nfo(nfo)
    assert data["title"] == "Sense and Sensibility" and data["year"] == 1995
    assert data["tmdb_id"] == 4584 and data["imdb_id"] == "tt0114388"
    assert data["overview"].startswith("Rich Mr. Dashwood dies")
    assert [c["name"] for c in data["cast"]][:3] == [
        "Emma Thompson",
        "Kate Winslet",
        "Alan Rickman",
    ]
    assert data["cast"][0]["character"] == "Elinor Dashwood" and len(data["cast"]) == 6
    assert {"name": "Ang Lee", "job": "Director"} in data["crew"]


def test_movie_nfo_only_when_the_movie_has_its_own_folder(tmp_path):
    own = tmp_path / "Sense and Sensibility (1995)"
    movie = own / "Sense and Sensibility (1995).mkv"
    _write(own / "movie.nfo", KODI_MOVIE)
    movie.touch()
    assert sidecars.movie_nfo(movie, ["mkv"]) == own / "movie.nfo"
    (own / "Another Film.mkv").touch()  # now the folder is shared: movie.nfo is nobody's
    assert sidecars.movie_nfo(movie, ["mkv"]) is None


def test_latin1_and_utf16_nfo_files(tmp_path):
    text = KODI_MOVIE.replace("Sense and Sensibility</title>", "Amélie</title>")
    for i, enc in enumerate(("cp1252", "utf-16")):
        f = _write(tmp_path / f"m{i}.nfo", text.replace('encoding="UTF-8" ', ""), enc)
        assert sidecars.read_movie_nfo(f)["title"] == "Amélie"


def test_url_only_nfo_gives_the_id(tmp_path):
    f = _write(tmp_path / "x.nfo", "https://www.themoviedb.org/movie/603-the-matrix\n")
    assert sidecars.read_movie_nfo(f) == {"cast": [], "crew": [], "tmdb_id": 603}


def test_show_and_episode_nfo(tmp_path):
    show = tmp_path / "Breaking Bad"
    ep = show / "Season 01" / "Breaking Bad - S01E03.mkv"
    _write(show / "tvshow.nfo", JELLYFIN_SHOW)
    _write(ep.with_suffix(".nfo"), JELLYFIN_EPISODE)
    ep.touch()
    assert sidecars.tvshow_nfo(ep) == show / "tvshow.nfo"
    data = sidecars.read_episode_nfo(sidecars.tvshow_nfo(ep), ep.with_suffix(".nfo"))
    assert data["title"] == "Breaking Bad" and data["tmdb_id"] == 1396  # the show's id
    assert data["imdb_id"] == "tt0903747"
    names = [c["name"] for c in data["cast"]]
    assert names == ["Bryan Cranston", "Aaron Paul", "Max Arciniega"]  # no duplicate
    assert data["cast"][2] == {
        "name": "Max Arciniega",
        "character": "Krazy-8",
        "order": 2,
        "guest": True,
    }
    assert data["episodes"] == [
        {
            "season": 1,
            "episode": 3,
            "title": "...And the Bag's in the River",
            "overview": "Walt and Jesse clean up after the bathtub incident.",
        }
    ]
    assert {"name": "Vince Gilligan", "job": "Writer"} in data["crew"]
    assert sorted(sidecars.find(ep, ["mkv"])) == sorted(
        [str(ep.with_suffix(".nfo")), str(show / "tvshow.nfo")]
    )


def test_multi_episode_nfo(tmp_path):
    two = JELLYFIN_EPISODE + JELLYFIN_EPISODE.replace("<episode>3", "<episode>4").split("?>", 1)[1]
    f = _write(tmp_path / "e.nfo", two)
    data = sidecars.read_episode_nfo(None, f)
    assert [e["episode"] for e in data["episodes"]] == [3, 4]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (KODI_MOVIE.replace("</plot>", "</plo>"), "not a valid .nfo (XML error at line"),
        ("<tvshow><title>Wrong file</title></tvshow>", "no <movie> element (found <tvshow>)"),
        ("just some notes about the rip\n", "neither XML nor a TMDB/IMDb link"),
    ],
)
def test_malformed_nfo_is_one_line_naming_the_file(tmp_path, text, words):
    f = _write(tmp_path / "Broken (2000).nfo", text)
    with pytest.raises(sidecars.SidecarError) as err:
        sidecars.read_movie_nfo(f)
    msg = str(err.value)
    assert words in msg and str(f) in msg and "\n" not in msg


def test_json_sidecar(tmp_path):
    f = _write(
        tmp_path / "Film.json",
        '{"title": "Film", "year": 2001, "cast": [{"name": "B One", "character": "Bee", "order": 1},'
        ' {"name": "A Two", "character": "Ay", "order": 0}], "crew": [{"name": "D", "job": "Director"}]}',
    )
    data = sidecars.read_json_sidecar(f)
    assert [c["name"] for c in data["cast"]] == ["A Two", "B One"]
    assert data["title"] == "Film" and data["crew"] == [{"name": "D", "job": "Director"}]


@pytest.mark.parametrize(
    "text", ['{"title": "Film", "cast": [', '["a list"]', '{"cast": [{"character": "no name"}]}']
)
def test_malformed_json_sidecar(tmp_path, text):
    f = _write(tmp_path / "Film.json", text)
    with pytest.raises(sidecars.SidecarError) as err:
        sidecars.read_json_sidecar(f)
    assert str(f) in str(err.value) and "\n" not in str(err.value)
