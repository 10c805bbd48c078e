"""Venue tags: the shipped table and the forms a venue and its year take in real arXiv comments
and journal references."""

from __future__ import annotations

import pytest

from pipeline.venues import find_venue, parse_table, venue_of, venues


# Comments and journal references as arXiv gives them (typed from real API answers), the forms
# editors meet, and negatives that name no venue.
@pytest.mark.parametrize(
    "comment, expected",
    [
        ("Accepted to CVPR 2020", "CVPR 2020"),
        ("CVPR2020 oral", "CVPR 2020"),
        ("NeurIPS 2021 camera-ready", "NeurIPS 2021"),
        ("ICLR 2022 (oral)", "ICLR 2022"),
        ("To appear in ECCV'20", "ECCV 2020"),
        ("ECCV 2020", "ECCV 2020"),
        ("Accepted at the ECCV 2020 Workshops", "ECCV 2020 Workshop"),
        ("Interspeech 2021, 5 pages", "Interspeech 2021"),
        ("MLSys 2020", "MLSys 2020"),
        ("Published at SysML 2019", "SysML 2019"),
        ("ICCV 2019", "ICCV 2019"),
        ("AAAI-21", "AAAI 2021"),
        ("IJCAI 2020", "IJCAI 2020"),
        ("Long paper at ACL 2020", "ACL 2020"),
        ("NAACL 2019", "NAACL 2019"),
        ("EMNLP 2020 Findings", "EMNLP 2020"),
        ("ICML 2019", "ICML 2019"),
        ("KDD '20", "KDD 2020"),
        ("WACV 2021", "WACV 2021"),
        ("BMVC 2019", "BMVC 2019"),
        ("In DAC 2020", "DAC 2020"),
        ("ISCA 2021", "ISCA 2021"),
        ("MICRO 2020", "MICRO 2020"),
        ("ASPLOS 2022", "ASPLOS 2022"),
        ("OSDI 2018", "OSDI 2018"),
        ("MobiSys 2021", "MobiSys 2021"),
        ("Accepted by ACM MobiCom 2020", "MobiCom 2020"),
        ("SenSys 2019", "SenSys 2019"),
        ("accepted to neurips 2020", "NeurIPS 2020"),
        ("20 pages, 3 figures", None),
        ("Accepted to ICCV", None),  # no year, no tag
        ("kept up to date 2021", None),
        ("micro-benchmarks from 2020", None),
        ("ICML 2019 and NeurIPS 2020", "ICML 2019"),
        ("", None),
        (None, None),
        # Forms from real comments and journal references.
        (
            (
                "13 pages, 6 figures, In Proceedings of the 31st ACM SIGSOFT International Symposium on "
                "Software Testing and Analysis (ISSTA) 2022"
            ),
            "ISSTA 2022",
        ),
        ("(ISSTA) 2022", "ISSTA 2022"),
        ("Accepted by the ACM SIGSOFT International Symposium on Software Testing and Analysis (ISSTA 2020)", "ISSTA 2020"),
        ("Artificial Intelligence in Software Testing 2022 workshop @ ICST 2022", "ICST 2022"),
        ("ICST 2022", "ICST 2022"),
        (
            (
                "Proc. 2023 IEEE International Conference on Software Testing, Verification and Validation "
                "Workshops (ICSTW), pp. 66-69"
            ),
            "ICSTW 2023",
        ),
        ("ICSTW 2023", "ICSTW 2023"),
        (
            ("2025 IEEE/ACM International Workshop on Deep Learning for Testing and Testing for Deep Learning (DeepTest)"),
            "DeepTest 2025",
        ),
        (
            (
                "InProceedings of the 31st ACM SIGSOFT International Symposium on Software Testing and "
                "Analysis 2022 Jul 18 (pp. 289-301)"
            ),
            "ISSTA 2022",
        ),
        ("ICALP 2011", "ICALP 2011"),
        ("Full version of a paper at ICALP 2011", "ICALP 2011"),
        ("ICLR'21", "ICLR 2021"),
        ("ICLR’21 spotlight", "ICLR 2021"),
        ("NeurIPS 2021 workshop on ML for Systems", "NeurIPS 2021 Workshop"),
        ("Accepted at NIPS 2017", "NeurIPS 2017"),
        ("Accepted by DAC 2021", "DAC 2021"),
        ("Published in the 2021 Design Automation Conference", "DAC 2021"),
        ("FPGA 2019", "FPGA 2019"),
        ("FCCM'20", "FCCM 2020"),
        ("In USENIX ATC 2021", "USENIX ATC 2021"),
        ("ESEC/FSE 2021", "FSE 2021"),
        ("EuroSys '22", "EuroSys 2022"),
        ("SIGMOD 2020", "SIGMOD 2020"),
        ("PVLDB 2021", "VLDB 2021"),
        ("STOC 2019", "STOC 2019"),
        ("FOCS'18", "FOCS 2018"),
        ("ASE 2022", "ASE 2022"),
        ("CODES+ISSS 2019", "CODES+ISSS 2019"),
        ("ISMAR 2020", "ISMAR 2020"),
        ("Accepted by IEEE TPAMI 2021", "TPAMI 2021"),
        (("Published in IEEE Transactions on Computer-Aided Design of Integrated Circuits and Systems (2022)"), "TCAD 2022"),
        ("ISSTA (2022)", "ISSTA 2022"),
        # Negatives: no venue, no year, an ordinary word, an edition number.
        ("a tip 2020 for readers", None),
        ("10 pages, 5 figures", None),
        ("Code: https://github.com/lmbxmu/HRank", None),
        ("Code: https://github.com/a/cvpr2020-demo", None),
        ("44 pages, editors for the proceedings: Yanling Chen and A. J. Han Vinck", None),
        ("Microcontroller, FPGA, Testing, TMR, SOC", None),
        ("In 2019 we ran it on an FPGA board", None),
        ("International Journal of Software Engineering & Applications (IJSEA), Vol.3, No.1, January 2012", None),
        ("MICRO-54", None),
        ("Date 2022", None),
        ("an ICML, 10 pages", None),
    ],
)
def test_find_venue(comment, expected):
    assert find_venue(comment) == expected


def test_comment_first_then_journal_ref():
    assert venue_of("Accepted to ICCV 2019", "CVPR 2020") == "ICCV 2019"
    assert (
        venue_of(
            "12 pages",
            "Proc. 2023 IEEE International Conference on Software Testing, Verification and Validation Workshops (ICSTW)",
        )
        == "ICSTW 2023"
    )
    assert venue_of(None, None) is None


def test_table_is_large_and_consistent():
    table = venues()
    assert len(table) >= 150
    names = {v.name for v in table}
    for wanted in (
        "CVPR",
        "ICCV",
        "ECCV",
        "NeurIPS",
        "ICML",
        "ICLR",
        "AAAI",
        "IJCAI",
        "ACL",
        "EMNLP",
        "NAACL",
        "KDD",
        "MLSys",
        "ISCA",
        "MICRO",
        "HPCA",
        "ASPLOS",
        "DAC",
        "ICCAD",
        "DATE",
        "FPGA",
        "FCCM",
        "OSDI",
        "SOSP",
        "EuroSys",
        "USENIX ATC",
        "NSDI",
        "MobiSys",
        "MobiCom",
        "SenSys",
        "ICSE",
        "FSE",
        "ASE",
        "ISSTA",
        "ICST",
        "ICSTW",
        "ICALP",
        "STOC",
        "FOCS",
        "SIGMOD",
        "VLDB",
    ):
        assert wanted in names


def test_every_table_name_is_found_with_a_year():
    for venue in venues():
        assert find_venue(f"Accepted at {venue.name} 2021.") == f"{venue.name} 2021", venue.name


def test_a_malformed_table_line_is_named():
    with pytest.raises(ValueError, match="line 2"):
        parse_table("CVPR\t\tany\tvision\nbroken line\n")
    with pytest.raises(ValueError, match="already a spelling"):
        parse_table("CVPR\t\tany\tvision\nCVPRX\tcvpr\tany\tvision\n")


def test_a_cached_record_gets_its_venue_from_the_comment_at_render_time():
    # A record fetched before the table knew the form has venue None but keeps its comment.
    from pipeline.draft import entry_view
    from tests.draft_builders import arxiv_link, entry

    record = {
        "id": "2206.00001",
        "title": "Fuzzing GUIs",
        "venue": None,
        "comment": "13 pages, In Proceedings of the 31st ACM SIGSOFT International Symposium on "
        "Software Testing and Analysis (ISSTA) 2022",
    }
    assert entry_view(entry(arxiv_link("2206.00001"), record)).tags == ["ISSTA 2022", "2206.00001"]
    assert entry_view(entry(arxiv_link("2206.00001"), {**record, "comment": "9 pages"})).tags == ["2206.00001"]
