"""What the demo's citizens say, and how the demo's operators answer them.

Written for the project, in the informal Indonesian that reaches a city's accounts (slang, `min`,
elongations, emoji), about Balikpapan. Each base text carries the kind a triage would give it, so
the simulator can hand `ingest_inbound` a `kind` hint; misplaced complaints name their real owner
(PLN, PDAM). `compose()` fills the places and dresses a base text with a greeting and a closing, so
a long-running demo does not repeat itself soon.

The few rude words come from the MIT-licensed `indonesian-badwords` npm list
(github.com/drizki/indonesian-badwords; the copy and its SOURCE.md are in
tanggap/language/data/indonesian_badwords/):
mild ones only (bodoh, sialan, kampret, tolol), and rare, because the desk must meet them but the
demo should not be a showcase of them.

Never: real people's messages, real phone numbers or NIKs, lorem ipsum.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

PERTANYAAN = "pertanyaan"
ADUAN = "aduan"
APRESIASI = "apresiasi"
LAINNYA = "lainnya"


@dataclass(frozen=True)
class BaseText:
    kind: str
    topic: str
    text: str
    # The body that actually owns the problem when it is not the city's (PLN, PDAM).
    owner: str = ""


# Places, filled into {jalan}, {kelurahan}, {kecamatan}, {patokan}, {rt}, {waktu}.
JALAN = (
    "Jl. Jend. Sudirman", "Jl. MT Haryono", "Jl. Soekarno-Hatta km 5", "Jl. Jend. Ahmad Yani",
    "Jl. Marsma R. Iswahyudi", "Jl. Mulawarman", "Jl. Syarifuddin Yoes", "Jl. Ruhui Rahayu",
    "Jl. Letjen Suprapto", "Jl. Pangeran Antasari", "Jl. Pattimura", "Jl. Mayjend Sutoyo",
    "Jl. DI Panjaitan", "Jl. Soekarno-Hatta km 12", "Jl. Gajah Mada", "Jl. Manunggal",
)
KELURAHAN = (
    "Klandasan Ilir", "Klandasan Ulu", "Gunung Sari Ilir", "Gunung Sari Ulu", "Sepinggan",
    "Sepinggan Raya", "Batu Ampar", "Manggar", "Manggar Baru", "Kariangau", "Damai",
    "Gunung Samarinda", "Muara Rapak", "Karang Joang", "Graha Indah", "Baru Ilir", "Margasari",
    "Lamaru", "Teritip", "Sumber Rejo", "Gunung Bahagia", "Prapatan", "Telaga Sari", "Karang Rejo",
)
KECAMATAN = (
    "Balikpapan Kota", "Balikpapan Selatan", "Balikpapan Timur", "Balikpapan Utara",
    "Balikpapan Tengah", "Balikpapan Barat",
)
PATOKAN = (
    "depan Indomaret", "dekat masjid", "samping SD", "dekat Pasar Klandasan",
    "dekat Pasar Pandansari", "dekat Lapangan Merdeka", "arah Bandara Sepinggan",
    "simpang Muara Rapak", "dekat Terminal Batu Ampar", "arah Pantai Manggar",
    "depan Balikpapan Superblock", "dekat Dome", "dekat Pelabuhan Semayang", "depan Alfamart",
    "dekat puskesmas", "turunan sebelum jembatan", "dekat pos kamling",
)
RT = ("RT 3", "RT 5", "RT 7", "RT 12", "RT 14", "RT 21", "RT 27", "RT 30", "RT 41")
WAKTU = (
    "dari kemarin", "udah 3 hari", "sejak minggu lalu", "dari tadi subuh", "hampir sebulan",
    "dari malam tadi", "udah 2 minggu", "sejak hari Senin",
)

_FILLERS = {
    "jalan": JALAN, "kelurahan": KELURAHAN, "kecamatan": KECAMATAN, "patokan": PATOKAN,
    "rt": RT, "waktu": WAKTU,
}
PLACEHOLDER = re.compile(r"\{(" + "|".join(_FILLERS) + r")\}")


def _texts(kind: str, topic: str, *lines: str, owner: str = "") -> list[BaseText]:
    return [BaseText(kind, topic, line, owner) for line in lines]


_GROUPS: tuple[list[BaseText], ...] = (
    # --- Questions: civil registry (Disdukcapil) ---------------------------------------------
    _texts(
        PERTANYAAN, "ktp",
        "min mau tanya, bikin KTP-el baru skrg syaratnya apa aja ya?",
        "KTP-el saya hilang pas di pasar, ngurus gantinya di mana ya? harus ada surat kehilangan "
        "dari polisi gak?",
        "udah rekam KTP dari 3 bulan lalu tp blm jadi2 juga, gmn ya min 🙏",
        "anak saya bulan depan 17 thn, rekam KTP-el bisa di kecamatan {kecamatan} gak atau harus "
        "ke Disdukcapil?",
        "blangko KTP-el katanya kosong lagi ya min? jadi pakai suket dulu?",
        "min kalau KTP rusak (chipnya gak kebaca) gantinya bayar gak?",
        "pindahan dari Samarinda, KTP mau diganti alamat Balikpapan, prosesnya berapa lama ya?",
        "IKD (KTP digital) itu aktivasinya di mana ya min? wajib gak?",
    ),
    _texts(
        PERTANYAAN, "kk",
        "mau tambah nama bayi di KK, bawa apa aja ke Disdukcapil min?",
        "KK saya masih yg lama (blm ada barcode), harus diganti gak ya?",
        "numpang tanya, pecah KK setelah nikah bisa online gak?",
        "min ngurus KK bisa diwakilkan sama orang tua gak? saya kerja di site, jarang di kota",
        "alamat di KK salah ketik RT-nya, benerinnya gimana ya?",
    ),
    _texts(
        PERTANYAAN, "akta",
        "akta kelahiran anak saya belum diurus padahal udah 2 thn, masih bisa kan min? ada "
        "dendanya gak?",
        "bikin akta kematian untuk almarhum bapak, syaratnya apa ya min",
        "min akta lahir yg dicetak sendiri di rumah (kertas HVS) itu sah kah?",
        "mau legalisir akta kelahiran buat daftar sekolah, bisa di mana ya?",
    ),
    # --- Questions: schools, transport, tax, opening hours, events ---------------------------
    _texts(
        PERTANYAAN, "ppdb",
        "PPDB SMP tahun ini kapan dibuka min? jalur zonasi pakai KK yg umur brp lama?",
        "min anak saya mau masuk SD negeri, umurnya 6 thn 2 bln, bisa daftar gak?",
        "zonasi PPDB itu dihitung dari rumah ke sekolah pakai titik koordinat ya? rumah saya di "
        "{kelurahan} kok gak masuk zona SMP terdekat",
        "jalur prestasi PPDB SMP sertifikat lomba tingkat kecamatan dihitung gak ya min?",
        "pengumuman PPDB kapan min? dari kemarin web nya error terus 😩",
        "min kalau daftar ulang PPDB telat sehari masih bisa gak ya, kemarin saya lagi di luar "
        "kota",
    ),
    _texts(
        PERTANYAAN, "bus",
        "bus Balikpapan City Trans rutenya lewat {jalan} gak ya min?",
        "jam operasional bus kota sampai jam brp ya? mau pulang kerja dari {kelurahan}",
        "min bayar bus kota bisa pakai QRIS atau harus kartu?",
        "ada angkot atau bus dari Terminal Batu Ampar ke Bandara Sepinggan gak min?",
        "halte di {jalan} itu dipakai bus yg mana ya min, kok jarang lewat",
    ),
    _texts(
        PERTANYAAN, "pajak",
        "PBB tahun ini bisa dibayar di mana aja min? lewat m-banking bisa?",
        "min tagihan PBB saya kok naik banyak ya dibanding tahun lalu, bisa minta keringanan?",
        "bayar pajak kendaraan di Samsat mana yg buka hari Sabtu di Balikpapan?",
        "ada program pemutihan denda PBB lagi gak tahun ini min?",
        "SPPT PBB belum nyampe ke rumah, bisa cek nominalnya online gak?",
    ),
    _texts(
        PERTANYAAN, "jam_layanan",
        "min Disdukcapil buka jam brp ya? Sabtu buka gak?",
        "mal pelayanan publik di Balikpapan ada di mana ya min? layanan apa aja?",
        "kantor kelurahan {kelurahan} istirahat jam brp ya min, tadi ke sana tutup",
        "puskesmas {kelurahan} buka sampai jam brp min? anak saya demam",
        "min layanan perpustakaan kota buka hari Minggu gak?",
        "bikin surat keterangan domisili usaha di kelurahan atau kecamatan ya min?",
        "urus izin usaha (NIB) buat warung kecil bisa dibantu di mana ya?",
    ),
    _texts(
        PERTANYAAN, "acara",
        "min car free day Minggu ini ada gak? di {jalan} kan?",
        "pesta rakyat HUT Balikpapan tahun ini kapan & di mana min? ada konser gak 😁",
        "lomba 17an tingkat kota pendaftarannya ke mana ya?",
        "min bazar UMKM di Lapangan Merdeka masih buka sampai kapan?",
        "festival kuliner di Dome masuknya bayar gak min?",
        "pawai budaya tahun ini rutenya lewat mana ya? biar gak kejebak macet",
        "vaksinasi anak (BIAS) jadwalnya kapan ya min, di sekolah atau puskesmas?",
        "min pelatihan kerja gratis dari Disnaker masih buka pendaftaran gak?",
    ),
    _texts(
        PERTANYAAN, "sosial",
        "cara daftar BPJS Kesehatan PBI yg dibayarin pemkot gmn ya min?",
        "min bantuan beasiswa buat mahasiswa dari pemkot tahun ini ada gak?",
        "ortu saya lansia, ada program posyandu lansia di {kelurahan} gak?",
        "mau urus SKTM buat berobat, mulai dari RT dulu ya min?",
        "rumah kami gak layak huni, bisa ajukan bedah rumah ke dinas mana?",
    ),
    # --- Complaints the city owns -------------------------------------------------------------
    _texts(
        ADUAN, "jalan",
        "jalan di {jalan} {patokan} berlubang besar, udah ada yg jatuh motornya 😡",
        "min jalan di {kelurahan} {rt} rusak parah, kalau hujan kayak kolam lele. kapan "
        "diperbaiki?",
        "tolong dong lubang di {jalan} itu ditambal, tiap malam gelap gak keliatan, bahaya bgt",
        "aspal baru diperbaiki bulan lalu di {jalan} udah ngelupas lagi min. kualitasnya gmn sih",
        "galian kabel di {jalan} {patokan} gak ditutup lagi, tinggal tanah gembur, licin kalau "
        "hujan",
        "Yth. Pak Wali, saya warga {kelurahan}. Jalan menuju sekolah anak kami sudah {waktu} "
        "berlubang dan tergenang. Setiap pagi anak-anak harus lewat pinggir selokan. Mohon "
        "perhatiannya sebelum ada korban.",
        "turunan di {jalan} itu jalannya retak & ambles min, truk lewat makin parah",
        "polisi tidur di gang {rt} {kelurahan} tinggi bgt, motor matic nyangkut terus 😅 boleh gak "
        "sih dibikin segitu?",
    ),
    _texts(
        ADUAN, "pju",
        "lampu PJU di {jalan} {patokan} mati {waktu}, gelap gulita min, rawan begal",
        "min lampu jalan di {kelurahan} {rt} kedip2 terus trus mati, tolong dicek",
        "PJU sepanjang {jalan} banyak yg padam, malem kyk jalan ke hutan 😩",
        "lampu jalan depan rumah nyala siang hari, mati pas malam. kebalik min 😂",
        "tiang lampu PJU di {jalan} miring hampir roboh, takut nimpa orang",
    ),
    _texts(
        ADUAN, "sampah",
        "sampah di TPS {kelurahan} numpuk {waktu} gak diangkut, baunya sampai ke rumah 🤢",
        "min truk sampah kok gak lewat lagi di {rt} {kelurahan}? biasanya Selasa-Jumat",
        "ada yg buang sampah sembarangan tiap malam di {jalan} {patokan}, bisa dipasang CCTV gak?",
        "sampah kiriman di Pantai Manggar banyak bgt min, sayang pantainya jadi kotor",
        "kontainer sampah {patokan} di {kelurahan} udah penuh luber ke jalan, tolong diangkut",
        "Kepada Yth. Dinas Lingkungan Hidup, warga {rt} {kelurahan} mengeluhkan TPS liar di "
        "lahan kosong samping gang kami. Sudah {waktu} tidak diangkut, banyak lalat dan tikus. "
        "Anak-anak mulai sakit perut. Mohon segera ditindak.",
    ),
    _texts(
        ADUAN, "banjir",
        "hujan bentar aja {jalan} udah banjir selutut min, drainasenya mampet",
        "gorong2 di {kelurahan} {rt} tersumbat sampah, air meluap masuk rumah warga",
        "banjir lagi di {kelurahan} 😭 kapan normalisasi sungainya min?",
        "drainase di {jalan} {patokan} ditutup beton sama ruko, air jadi ngalir ke jalan",
        "Pak Wali yth, tiap hujan deras rumah kami di {kelurahan} kebanjiran, kemarin air masuk "
        "sampai 40 cm dan kulkas rusak. Parit depan rumah dangkal dan penuh lumpur. Tolong "
        "dinas PU turun lihat langsung.",
        "longsor kecil di tebing {kelurahan} {rt} setelah hujan semalam, rumah di bawahnya "
        "was2 min",
    ),
    _texts(
        ADUAN, "parkir",
        "parkir liar di {jalan} {patokan} bikin macet tiap sore, tolong ditertibkan",
        "tukang parkir di depan minimarket {kelurahan} minta 5rb, padahal ada tulisan parkir "
        "gratis",
        "min mobil parkir di trotoar {jalan}, pejalan kaki jadi jalan di aspal",
        "truk kontainer parkir di bahu {jalan} tiap malam, udah beberapa kali hampir ketabrak",
    ),
    _texts(
        ADUAN, "pohon",
        "pohon tumbang di {jalan} {patokan} nutup setengah jalan, tolong segera dievakuasi",
        "min ada pohon besar miring di {kelurahan} {rt}, dahannya udah nempel kabel, takut roboh",
        "dahan pohon di median {jalan} patah habis angin kencang, masih nyangkut di atas",
        "pohon depan SD di {kelurahan} akarnya ngangkat trotoar, anak2 sering kesandung",
    ),
    _texts(
        ADUAN, "ketertiban",
        "pengamen & manusia silver di lampu merah {jalan} makin banyak min",
        "warung di {kelurahan} {rt} karaokean sampai jam 2 pagi tiap malam, tolong ditegur",
        "anjing liar di {kelurahan} makin banyak, kemarin ada anak digigit",
        "balap liar tiap malam Minggu di {jalan}, berisik & bahaya min",
        "pedagang kaki lima makan badan jalan di {jalan} {patokan}",
    ),
    _texts(
        ADUAN, "layanan",
        "antrian di Disdukcapil dari jam 7 pagi, jam 12 nomornya udah habis. gak ada sistem online "
        "kah?",
        "petugas di kantor kelurahan {kelurahan} jutek bgt min, ditanya malah dicuekin",
        "web pengaduan pemkot error terus min, makanya saya lapor di sini",
        "saya udah lapor lewat telepon soal jalan rusak {waktu} tp gak ada kabar sama sekali",
    ),
    # --- Misplaced: power (PLN) and water (PDAM) -----------------------------------------------
    _texts(
        ADUAN, "listrik",
        "listrik padam lagi di {kelurahan} {waktu} 😡 min tolong dong",
        "PLN padam 3x sehari di {kelurahan}, kulkas & TV saya rusak. pemkot diam aja?",
        "min mati lampu di {kecamatan} dari jam 7 blm nyala, ada info kapan nyala?",
        "tiap hujan dikit langsung padam listriknya, gmn ini min balikpapan kota minyak tp listrik "
        "byar pet",
        "kabel listrik di {jalan} {patokan} menjuntai rendah bgt, hampir kena kepala",
        "Pak Wali, tolong tegur PLN. Pemadaman bergilir di {kelurahan} tanpa pemberitahuan, usaha "
        "laundry saya rugi tiap hari. Kami bayar tagihan tepat waktu tapi pelayanan begini terus.",
        "token listrik udah diisi tp meteran gak nambah, lapornya ke mana min?",
        "trafo di {jalan} meledak tadi malam, sampai skrg {kelurahan} gelap",
        owner="PLN",
    ),
    _texts(
        ADUAN, "air",
        "air PDAM mati {waktu} di {kelurahan}, mandi pake air galon nih min 😭",
        "air PDAM keruh kecoklatan di {kelurahan} {rt}, aman gak buat masak?",
        "min kapan air nyala lagi di {kecamatan}? jadwal giliran airnya gak jelas",
        "pipa PDAM bocor di {jalan} {patokan}, air muncrat ke jalan dari pagi",
        "tagihan PDAM bulan ini 3x lipat padahal pemakaian biasa aja, mau komplain ke mana?",
        "Yth. Bapak Wali Kota, warga {kelurahan} sudah {waktu} hanya dapat air PDAM tengah malam "
        "dan itu pun kecil. Kami harus beli air tandon Rp150 ribu per minggu. Mohon Pemkot "
        "menekan PDAM agar distribusi adil.",
        "air PDAM bau kaporit bgt & ada cacing kecil min 🤮",
        "meteran air saya hilang dicuri, lapor ke PDAM atau ke kelurahan ya min?",
        owner="PDAM",
    ),
    # --- Odd ones a city desk really gets, and other "where do I report this?" ---------------
    _texts(
        LAINNYA, "tetangga",
        "jemuran saya diinjak2 ayam tetangga terus min, lapornya ke mana ya? 🐔",
        "ayam tetangga tiap pagi nongkrong di jemuran, baju bersih jadi kotor lagi. ini urusan RT "
        "atau pemkot ya?",
        "tetangga pelihara bebek di depan rumah, baunya kemana2, bisa lapor ke dinas apa?",
        "kucing tetangga buang kotoran di teras saya tiap hari, ada perda soal hewan "
        "peliharaan gak?",
        "tetangga bangun pagar nutup setengah gang {rt}, motor susah lewat. lapor ke mana min?",
    ),
    _texts(
        PERTANYAAN, "tes_sd",
        "gimana ya caranya biar anak saya lolos tes masuk SD? harus bisa baca dulu kah?",
        "min masuk SD negeri ada tes calistung gak sih? anak saya blm lancar baca 😟",
        "anak saya gagal tes masuk SD favorit, masih bisa daftar ke SD negeri lain gak?",
        "SD swasta di {kelurahan} minta tes psikologi, itu boleh gak sih untuk anak 6 thn?",
    ),
    _texts(
        LAINNYA, "salah_alamat",
        "min saya mau pesan nasi kotak 50 buat acara kantor, bisa?",
        "nomor WA pak lurah {kelurahan} berapa ya min",
        "min tolong RT saya dong, lagi cari kerja nih 🙏",
        "loker di pemkot ada gak min? lulusan SMK",
        "hp saya ketinggalan di angkot jurusan 3, bisa bantu umumin min?",
        "min ikut promo dong, jualan kue di {kelurahan} 😁",
    ),
    # --- Suggestions ------------------------------------------------------------------------------
    _texts(
        LAINNYA, "saran",
        "saran min, tiap pengumuman penting dipost juga di IG story biar banyak yg liat",
        "usul dong, di {jalan} dibikin zebra cross, nyebrang susah bgt",
        "min gimana kalau taman di {kelurahan} ditambah lampu & tempat sampah, malam jadi aman",
        "saran buat Disdukcapil: bikin antrian online biar warga gak nunggu dari subuh",
        "mending bus kota ada aplikasi live tracking min, jadi tau kapan lewat",
        "usul jalur sepeda di {jalan}, banyak yg gowes tiap pagi",
        "Kepada Pak Wali, sebagai warga {kecamatan} saya mengusulkan agar lahan kosong milik "
        "pemkot di {kelurahan} dijadikan ruang terbuka hijau dan lapangan olahraga untuk "
        "anak-anak, karena selama ini mereka main di jalan.",
        "tolong tiap jawaban di sini dikasih nomor aduan min, biar bisa dicek progresnya",
    ),
    # --- Thanks ---------------------------------------------------------------------------------
    _texts(
        APRESIASI, "terima_kasih",
        "makasih min, lampu jalan di {jalan} udah nyala lagi 👍👍",
        "terima kasih Pemkot, jalan di {kelurahan} udah diaspal mulus 🙏",
        "respon mimin cepet bgt, baru lapor tadi pagi siangnya sampah udah diangkut. mantap!",
        "alhamdulillah KTP-el saya udah jadi, makasih infonya kemarin min",
        "salut sama petugas Disdukcapil yg tetap layani sampai sore, sehat2 ya bapak ibu",
        "makasih infonya min, jelas bgt 🙏",
        "pohon tumbang di {jalan} cepet diberesin, terima kasih BPBD & DLH 💪",
        "terima kasih Pak Wali, drainase di {kelurahan} udah dikeruk, hujan kemarin gak "
        "banjir lagi",
        "balikpapan makin bersih, bangga jadi warga balikpapan ❤️",
        "keren min, car free day kemarin rame & tertib 👏",
        "petugas puskesmas {kelurahan} ramah bgt, anak saya ditangani cepat. terima kasih",
        "makasih udah dibantu terusin ke PDAM min, air udah lancar lagi",
        "Terima kasih kepada Bapak Wali Kota dan jajaran atas perbaikan jalan di {kelurahan}. "
        "Sudah bertahun-tahun warga menunggu, akhirnya anak-anak bisa ke sekolah tanpa "
        "berlumpur. Semoga pemeliharaannya juga terus dijaga.",
        "mimin sabar bgt ngadepin netizen 😂 semangat min!",
        "taman di {kelurahan} sekarang bagus, anak2 betah main. makasih",
    ),
    # --- Rude ones: the desk still answers them well --------------------------------------------
    _texts(
        ADUAN, "kasar",
        "PEMKOT KERJANYA APA SIH?? jalan di {kelurahan} hancur gak diurus!!!",
        "pegawai pemkot makan gaji buta, lapor dari kapan gak ada yg gerak. sialan",
        "mimin bodoh ya? ditanya apa jawabnya apa",
        "air mati terus, listrik mati terus, kampret emang. bayar pajak buat apa??",
        "min jangan cuma copy paste jawaban dong, tolol bgt pelayanannya",
        "males lapor di sini, paling cuma dibaca doang. PNS pemalas",
    ),
)
BASE_TEXTS: tuple[BaseText, ...] = tuple(text for group in _GROUPS for text in group)


# Follow-ups from the same citizen on the same thread, by the kind of their first message.
FOLLOW_UPS: dict[str, tuple[str, ...]] = {
    PERTANYAAN: (
        "min?? 🙏",
        "oh iya satu lagi min, bisa diwakilkan gak?",
        "maaf min, kalau hari Sabtu bisa juga?",
        "makasih infonya min",
        "berarti bawa fotokopi juga ya min?",
        "ditunggu jawabannya ya min",
    ),
    ADUAN: (
        "ini lokasinya pas {patokan} ya min 📍",
        "gmn min udah diteruskan blm?",
        "masih sama min sampai skrg",
        "tambahan: tetangga2 juga ngeluhin hal yg sama",
        "tolong ditindaklanjuti ya min, warga udah resah",
        "min kok blm dibales 😩",
    ),
    APRESIASI: (
        "sukses terus pemkot 👍",
        "semoga yg lain juga cepet ditangani kayak gini",
    ),
    LAINNYA: (
        "halo min?",
        "jadi gmn min?",
        "maaf kalau salah tempat nanya 🙏",
    ),
}

# Openings and closings a citizen puts around the same request; most messages have neither.
OPENINGS = (
    "", "", "", "", "min, ", "mimin, ", "pagi min, ", "siang min 🙏 ", "malam min, ",
    "Assalamualaikum, ", "permisi min, ", "halo min, ", "maaf ganggu min, ",
)
CLOSINGS = (
    "", "", "", "", " 🙏", " 🙏🙏", " makasih", " mohon infonya", " tolong ya min", " thx",
    " mksh min", " 😭", " trims",
)
# Words a citizen stretches when impatient or glad.
_ELONGATE = {"min": "miiin", "tolong": "tolongg", "makasih": "makasiiih", "bgt": "bgttt",
             "lama": "lamaaa", "parah": "parahhh"}


# How the demo's operators answered: polite, complete, never in capitals (a desk never shouts).
# Misplaced complaints are referred, with the owner's contact, rather than waved away.
REPLIES: dict[str, str] = {
    "ktp": "Selamat pagi, terima kasih atas pertanyaannya. Untuk KTP-el silakan datang ke "
           "Disdukcapil atau kantor kecamatan dengan membawa KK asli. Bila hilang, lampirkan surat "
           "keterangan kehilangan dari kepolisian. Semoga membantu.",
    "kk": "Terima kasih, Bapak/Ibu. Perubahan data KK dapat diajukan di Disdukcapil dengan membawa "
          "KK lama dan dokumen pendukung (surat lahir/nikah). Pengurusan boleh diwakilkan anggota "
          "keluarga dalam KK yang sama.",
    "akta": "Terima kasih atas pertanyaannya. Akta kelahiran tetap dapat diurus meskipun "
            "terlambat, tanpa denda. Syaratnya surat keterangan lahir, KK dan KTP-el orang tua.",
    "ppdb": "Terima kasih, Bapak/Ibu. Jadwal dan ketentuan PPDB diumumkan Dinas Pendidikan dan "
            "Kebudayaan melalui laman resminya. Kami bantu pantau dan informasikan begitu dirilis.",
    "tes_sd": "Terima kasih atas pertanyaannya. Penerimaan SD negeri mengutamakan usia dan zonasi, "
              "tidak ada tes baca-tulis-hitung. Anak cukup didampingi dan disemangati, ya.",
    "bus": "Terima kasih. Informasi rute dan jam operasional bus kota dapat dilihat di akun Dinas "
           "Perhubungan. Kami teruskan pertanyaan Anda agar mendapat jawaban yang lengkap.",
    "pajak": "Terima kasih atas pertanyaannya. PBB dapat dibayar melalui bank mitra, m-banking "
             "dan gerai resmi dengan nomor objek pajak pada SPPT. Keringanan dapat diajukan ke "
             "BPPDRD.",
    "jam_layanan": "Terima kasih. Layanan kantor pemerintah buka Senin sampai Jumat pukul 08.00 "
                   "hingga 16.00 WITA. Untuk layanan akhir pekan kami informasikan bila tersedia.",
    "acara": "Terima kasih atas antusiasmenya. Jadwal kegiatan kota kami umumkan di akun ini; "
             "silakan pantau unggahan kami dalam beberapa hari ke depan.",
    "sosial": "Terima kasih, Bapak/Ibu. Silakan mulai dari pengantar RT dan kelurahan, lalu ke "
              "Dinas Sosial. Kami siap membantu bila ada kendala di tengah proses.",
    "jalan": "Terima kasih atas laporannya. Aduan jalan rusak telah kami teruskan ke Dinas PU "
             "untuk ditinjau. Mohon berhati-hati saat melintas di lokasi tersebut.",
    "pju": "Terima kasih atas laporannya. Lampu penerangan jalan yang padam sudah kami teruskan ke "
           "Dinas Perhubungan untuk segera diperbaiki.",
    "sampah": "Terima kasih atas laporannya. Keluhan sampah sudah kami sampaikan ke Dinas "
              "Lingkungan Hidup agar jadwal pengangkutan di lokasi tersebut ditindaklanjuti.",
    "banjir": "Terima kasih atas laporannya dan mohon maaf atas ketidaknyamanannya. Titik genangan "
              "tersebut kami teruskan ke Dinas PU untuk pembersihan saluran.",
    "parkir": "Terima kasih atas laporannya. Parkir liar di lokasi tersebut kami teruskan ke Dinas "
              "Perhubungan dan Satpol PP untuk ditertibkan.",
    "pohon": "Terima kasih atas laporannya. Tim BPBD dan DLH kami minta segera menangani pohon di "
             "lokasi tersebut. Mohon warga menjauhi area sementara waktu.",
    "ketertiban": "Terima kasih atas laporannya. Hal ini kami teruskan ke Satpol PP dan kelurahan "
                  "setempat untuk ditindaklanjuti.",
    "layanan": "Mohon maaf atas pengalaman kurang menyenangkan tersebut. Masukan Anda kami "
               "sampaikan kepada pimpinan unit layanan terkait sebagai bahan perbaikan.",
    "listrik": "Mohon maaf atas ketidaknyamanannya. Gangguan listrik ditangani oleh PLN; silakan "
               "laporkan melalui aplikasi PLN Mobile atau call center 123. Laporan Anda juga kami "
               "teruskan ke PLN UP3 Balikpapan.",
    "air": "Mohon maaf atas ketidaknyamanannya. Gangguan air ditangani oleh PDAM Tirta Manuntung; "
           "laporan Anda sudah kami teruskan ke PDAM dan akan kami pantau tindak lanjutnya.",
    "tetangga": "Terima kasih atas pertanyaannya. Masalah antartetangga sebaiknya dimusyawarahkan "
                "lebih dulu melalui Ketua RT; bila belum selesai, kelurahan dapat membantu "
                "memediasi.",
    "salah_alamat": "Terima kasih sudah menghubungi kami. Akun ini melayani informasi dan aduan "
                    "layanan Pemerintah Kota Balikpapan; mohon maaf belum dapat membantu untuk "
                    "permintaan tersebut.",
    "saran": "Terima kasih atas sarannya yang sangat baik. Usulan ini kami catat dan sampaikan "
             "kepada perangkat daerah terkait.",
    "terima_kasih": "Sama-sama, terima kasih juga atas kepercayaan dan apresiasinya. Kami akan "
                    "terus berusaha melayani dengan baik.",
    "kasar": "Mohon maaf atas ketidaknyamanan yang Anda alami. Agar dapat kami bantu, mohon "
             "sampaikan lokasi dan waktu kejadiannya; laporan Anda akan kami teruskan ke dinas "
             "terkait.",
}


@dataclass(frozen=True)
class Composed:
    base: BaseText
    text: str


def fill(template: str, rng: random.Random) -> str:
    """Replace each {place} with a random one; unknown braces are left as typed."""
    return PLACEHOLDER.sub(lambda match: rng.choice(_FILLERS[match.group(1)]), template)


def _dress(base: BaseText, text: str, rng: random.Random) -> str:
    if base.topic == "kasar":
        return text  # nobody opens a rant with "permisi min" or closes it with 🙏
    # A letter to "Yth. Pak Wali" already has its own formal opening.
    # ... and "min, min bayar ..." is how nobody types.
    opening = "" if text[0].isupper() or text.startswith("min ") else rng.choice(OPENINGS)
    text = opening + text + rng.choice(CLOSINGS)
    if rng.random() < 0.15:
        word = rng.choice(sorted(_ELONGATE))
        text = re.sub(rf"\b{word}\b", _ELONGATE[word], text, count=1)
    return text


def compose(rng: random.Random, *, limit: int = 280, mention: str = "") -> Composed:
    """A fresh citizen message: a base text with places filled, dressed as a person types it.

    `mention` (e.g. "@PemkotBPN") is put in front, as on X; `limit` keeps a tweet a tweet: when
    dressing would pass it, the bare text is used.
    """
    base = rng.choice(BASE_TEXTS)
    body = fill(base.text, rng)
    text = _dress(base, body, rng)
    if mention:
        text = f"{mention} {text}"
    if len(text) > limit:
        text = f"{mention} {body}".strip() if mention else body
    return Composed(base, text[:limit])


def follow_up(kind: str, rng: random.Random, *, said: frozenset[str] = frozenset()) -> str:
    """What a citizen adds on the same thread; `said` (templates used already) is not repeated
    while there is something else to say."""
    fresh = [line for line in FOLLOW_UPS[kind] if line not in said] or list(FOLLOW_UPS[kind])
    return rng.choice(fresh)


def reply_for(base: BaseText) -> str:
    return REPLIES[base.topic]
