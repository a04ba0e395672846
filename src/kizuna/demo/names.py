"""Name parts for the demo company's customers and their people. Pure data.

Every part carries its kanji/kana spelling, its katakana reading and an ASCII romaji
form, so names, ``name_kana``, domains and e-mail local parts stay consistent. Romaji
forms are unique within each table, which keeps generated domains unique.
"""

from __future__ import annotations

from typing import NamedTuple


class Part(NamedTuple):
    """One name part: display form, katakana reading, ASCII romaji."""

    text: str
    kana: str
    romaji: str


class Region(NamedTuple):
    """A prefecture, its weight among customers and its phone area code."""

    name: str
    weight: int
    area_code: str


def _parts(rows: str) -> tuple[Part, ...]:
    """Parse ``"kanji kana romaji"`` lines into parts (keeps the tables compact)."""
    result = []
    for line in rows.strip().splitlines():
        text, kana, romaji = line.split()
        result.append(Part(text, kana, romaji))
    return tuple(result)


COMPANY_CORES = _parts("""
山田 ヤマダ yamada
東和 トウワ towa
みらい ミライ mirai
大和 ヤマト yamato
北斗 ホクト hokuto
中央 チュウオウ chuo
日本橋 ニホンバシ nihonbashi
青葉 アオバ aoba
さくら サクラ sakura
富士 フジ fuji
旭 アサヒ asahi
光洋 コウヨウ koyo
三和 サンワ sanwa
東邦 トウホウ toho
新星 シンセイ shinsei
北陸 ホクリク hokuriku
瀬戸内 セトウチ setouchi
九州 キュウシュウ kyushu
関東 カントウ kanto
浪速 ナニワ naniwa
丸山 マルヤマ maruyama
高橋 タカハシ takahashi
鈴木 スズキ suzuki
伊藤 イトウ ito
渡辺 ワタナベ watanabe
小林 コバヤシ kobayashi
中村 ナカムラ nakamura
松本 マツモト matsumoto
井上 イノウエ inoue
木村 キムラ kimura
林 ハヤシ hayashi
清水 シミズ shimizu
森田 モリタ morita
石川 イシカワ ishikawa
前田 マエダ maeda
藤原 フジワラ fujiwara
岡田 オカダ okada
長谷川 ハセガワ hasegawa
大成 タイセイ taisei
共栄 キョウエイ kyoei
昭和 ショウワ showa
平和 ヘイワ heiwa
太陽 タイヨウ taiyo
若葉 ワカバ wakaba
ひかり ヒカリ hikari
あおぞら アオゾラ aozora
つばさ ツバサ tsubasa
はやぶさ ハヤブサ hayabusa
ネクスト ネクスト next
サンライズ サンライズ sunrise
グローバル グローバル global
アーバン アーバン urban
ブルーオーシャン ブルーオーシャン blueocean
クレスト クレスト crest
アステル アステル astel
ユニバーサル ユニバーサル universal
エムケイ エムケイ mk
ケイエス ケイエス ks
日進 ニッシン nisshin
東洋 トウヨウ toyo
新日本 シンニホン shinnihon
西日本 ニシニホン nishinihon
中部 チュウブ chubu
湘南 ショウナン shonan
横浜 ヨコハマ yokohama
京都 キョウト kyoto
神戸 コウベ kobe
札幌 サッポロ sapporo
仙台 センダイ sendai
広島 ヒロシマ hiroshima
博多 ハカタ hakata
白鷺 シラサギ shirasagi
桜井 サクライ sakurai
千代田 チヨダ chiyoda
丸の内 マルノウチ marunouchi
信和 シンワ shinwa
協和 キョウワ kyowa
大同 ダイドウ daido
菱和 リョウワ ryowa
明治 メイジ meiji
""")

# Company-name endings that fit each industry; "ホールディングス" fits any of them.
GENERIC_SUFFIX = Part("ホールディングス", "ホールディングス", "hd")

INDUSTRY_SUFFIXES: dict[str, tuple[Part, ...]] = {
    "製造業": _parts("""
製作所 セイサクショ seisakusho
工業 コウギョウ kogyo
精機 セイキ seiki
電機 デンキ denki
化学 カガク kagaku
金属 キンゾク kinzoku
"""),
    "小売業": _parts("""
商店 ショウテン shoten
ストア ストア store
リテール リテール retail
百貨店 ヒャッカテン hyakkaten
マート マート mart
"""),
    "金融・保険": _parts("""
フィナンシャル フィナンシャル financial
証券 ショウケン shoken
損害保険 ソンガイホケン sonpo
リース リース lease
キャピタル キャピタル capital
"""),
    "IT・通信": _parts("""
テクノロジーズ テクノロジーズ tech
システムズ システムズ systems
ソリューションズ ソリューションズ solutions
ネットワークス ネットワークス networks
ソフト ソフト soft
デジタル デジタル digital
"""),
    "医療・ヘルスケア": _parts("""
メディカル メディカル medical
薬品 ヤクヒン yakuhin
ヘルスケア ヘルスケア healthcare
医療サービス イリョウサービス iryo
"""),
    "物流": _parts("""
運輸 ウンユ unyu
ロジスティクス ロジスティクス logistics
物流 ブツリュウ butsuryu
倉庫 ソウコ soko
急便 キュウビン kyubin
"""),
    "不動産": _parts("""
不動産 フドウサン fudosan
地所 ジショ jisho
ホーム ホーム home
エステート エステート estate
ハウジング ハウジング housing
"""),
    "教育": _parts("""
教育 キョウイク kyoiku
アカデミー アカデミー academy
ラーニング ラーニング learning
ゼミナール ゼミナール seminar
"""),
    "人材サービス": _parts("""
スタッフィング スタッフィング staffing
キャリア キャリア career
人材センター ジンザイセンター jinzai
エージェント エージェント agent
"""),
    "建設": _parts("""
建設 ケンセツ kensetsu
工務店 コウムテン komuten
建工 ケンコウ kenko
設備 セツビ setsubi
土木 ドボク doboku
"""),
    "食品・飲料": _parts("""
食品 ショクヒン shokuhin
フーズ フーズ foods
製菓 セイカ seika
酒造 シュゾウ shuzo
飲料 インリョウ inryo
"""),
    "商社・卸売": _parts("""
商事 ショウジ shoji
物産 ブッサン bussan
トレーディング トレーディング trading
産業 サンギョウ sangyo
"""),
}

# Relative share of each industry among the demo customers.
INDUSTRY_WEIGHTS: dict[str, int] = {
    "製造業": 18,
    "IT・通信": 15,
    "小売業": 9,
    "金融・保険": 7,
    "医療・ヘルスケア": 7,
    "物流": 7,
    "不動産": 6,
    "教育": 5,
    "人材サービス": 7,
    "建設": 7,
    "食品・飲料": 6,
    "商社・卸売": 6,
}

REGIONS: tuple[Region, ...] = (
    Region("東京都", 40, "03"),
    Region("大阪府", 12, "06"),
    Region("愛知県", 8, "052"),
    Region("神奈川県", 7, "045"),
    Region("福岡県", 5, "092"),
    Region("北海道", 4, "011"),
    Region("埼玉県", 3, "048"),
    Region("千葉県", 3, "043"),
    Region("兵庫県", 3, "078"),
    Region("京都府", 3, "075"),
    Region("宮城県", 2, "022"),
    Region("広島県", 2, "082"),
    Region("静岡県", 2, "054"),
    Region("新潟県", 1, "025"),
    Region("岡山県", 1, "086"),
    Region("熊本県", 1, "096"),
    Region("沖縄県", 1, "098"),
    Region("石川県", 1, "076"),
    Region("長野県", 1, "026"),
    Region("茨城県", 1, "029"),
)

SURNAMES = _parts("""
佐藤 サトウ sato
鈴木 スズキ suzuki
高橋 タカハシ takahashi
田中 タナカ tanaka
伊藤 イトウ ito
渡辺 ワタナベ watanabe
山本 ヤマモト yamamoto
中村 ナカムラ nakamura
小林 コバヤシ kobayashi
加藤 カトウ kato
吉田 ヨシダ yoshida
山田 ヤマダ yamada
佐々木 ササキ sasaki
山口 ヤマグチ yamaguchi
松本 マツモト matsumoto
井上 イノウエ inoue
木村 キムラ kimura
林 ハヤシ hayashi
斎藤 サイトウ saito
清水 シミズ shimizu
山崎 ヤマザキ yamazaki
森 モリ mori
池田 イケダ ikeda
橋本 ハシモト hashimoto
阿部 アベ abe
石川 イシカワ ishikawa
山下 ヤマシタ yamashita
中島 ナカジマ nakajima
石井 イシイ ishii
小川 オガワ ogawa
前田 マエダ maeda
岡田 オカダ okada
長谷川 ハセガワ hasegawa
藤田 フジタ fujita
後藤 ゴトウ goto
近藤 コンドウ kondo
村上 ムラカミ murakami
遠藤 エンドウ endo
青木 アオキ aoki
坂本 サカモト sakamoto
斉藤 サイトウ saito2
福田 フクダ fukuda
太田 オオタ ota
西村 ニシムラ nishimura
藤井 フジイ fujii
金子 カネコ kaneko
岡本 オカモト okamoto
藤原 フジワラ fujiwara
中野 ナカノ nakano
三浦 ミウラ miura
""")

GIVEN_NAMES = _parts("""
美咲 ミサキ misaki
翔太 ショウタ shota
陽菜 ヒナ hina
大輔 ダイスケ daisuke
さくら サクラ sakura
健太 ケンタ kenta
結衣 ユイ yui
拓也 タクヤ takuya
葵 アオイ aoi
直樹 ナオキ naoki
彩 アヤ aya
誠 マコト makoto
真由美 マユミ mayumi
浩二 コウジ koji
恵 メグミ megumi
隆 タカシ takashi
愛 アイ ai
亮 リョウ ryo
由美子 ユミコ yumiko
和也 カズヤ kazuya
奈々 ナナ nana
智也 トモヤ tomoya
優子 ユウコ yuko
哲也 テツヤ tetsuya
麻衣 マイ mai
正人 マサト masato
理恵 リエ rie
裕介 ユウスケ yusuke
千尋 チヒロ chihiro
悠人 ユウト yuto
香織 カオリ kaori
修 オサム osamu
明美 アケミ akemi
慎一 シンイチ shinichi
早紀 サキ saki
達也 タツヤ tatsuya
舞 マイ mai2
俊介 シュンスケ shunsuke
瞳 ヒトミ hitomi
大樹 ダイキ daiki
""")


def romaji_of(part: Part) -> str:
    """ASCII romaji without the disambiguating digit some duplicate readings carry."""
    return part.romaji.rstrip("0123456789")
