"""Kasar detection, shared by triage and the tone guard: whole words, literal uses excused."""

import pytest

from tanggap.language import classify


@pytest.mark.parametrize("text", [
    "dasar pemkot goblok",
    "g0bl0k bgt adminnya",
    "4nj1ng jalan rusak terus",
    "anjiiing macet parah",
    "b*ngsat kalian semua",
    "kalian memang sampah",
    "gila lu min",
    "otak udang semua pejabatnya",
    "🖕 pemkot",
])
def test_abusive_forms_are_kasar(text):
    assert classify(text).kasar is True


@pytest.mark.parametrize("text", [
    "Klaim asuransi kesehatan saya ditolak",
    "Peternakan babi di belakang rumah bau sekali, limbahnya ke kali",
    "Banyak anjing liar berkeliaran di taman, takut rabies",
    "Sampah menumpuk di TPS pasar sudah seminggu",
    "Lampu jalan di Jalan Monyet mati",
    "Macet gila di perempatan tiap pagi",
    "Ada tai lalat di wajah anak saya, perlu ke puskesmas?",
])
def test_false_friends_are_not_kasar(text):
    assert classify(text).kasar is False


def test_the_reason_names_the_word_as_the_citizen_spelled_it_after_repair():
    assert "kasar:goblok" in classify("dasar g0bl0kkk").reasons
