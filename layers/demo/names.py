"""Chinese names for the demo city: streets, communities, roads, estates, enterprises and people (no Django)."""
import itertools
import random

# Street (街道) names: the first ones are Acheng's real streets and towns, then plausible inventions.
STREET_WORDS = (
    "金城", "通城", "舍利", "河东", "河西", "阿什河", "新利", "玉泉", "亚沟", "料甸", "松峰", "平山",
    "蜚克图", "杨树", "小岭", "双丰", "交界", "红星", "大岭", "五道", "上京", "龙涛", "东升", "新华",
    "胜利", "永源", "白城", "吉兴", "前进", "富民", "兴隆", "太平",
)

# Two-character words used for communities, roads and estates.
WORDS = (
    "延川", "通城", "金都", "上京", "会宁", "龙涛", "松峰", "福源", "和平", "胜利", "光明", "建设", "前进",
    "新华", "民主", "团结", "幸福", "兴盛", "永安", "长青", "东风", "红旗", "朝阳", "向阳", "曙光", "安居",
    "丰收", "振兴", "育才", "文化", "华山", "泰山", "黄河", "长江", "友谊", "滨河", "阿什", "金源", "世纪",
    "锦绣", "春华", "秋实", "嘉禾", "瑞祥", "吉祥", "如意", "康乐", "安康", "宝山", "翠湖", "碧水", "绿洲",
    "枫林", "松涛", "柳岸", "杏花", "桃源", "梧桐", "银杏", "白桦", "丁香", "玫瑰", "牡丹", "紫荆", "海棠",
    "东城", "西城", "南岗", "北苑", "中兴", "新城", "老街", "古城", "皇城", "金龙", "玉龙", "凤鸣", "鹤鸣",
    "鸿运", "盛世", "天成", "德润", "恒泰", "宏达", "利民", "惠民", "广厦", "富强", "繁荣", "昌盛", "华盛",
    "星光", "月明", "晨曦", "晓月", "清河", "沁园", "静园", "雅园", "书香", "怡和", "顺和", "祥和", "泰和",
    "承旭", "启明", "远航", "铁路", "林业", "电业", "邮电", "粮贸", "糖厂", "纺织", "机电", "钢城", "亚麻",
    "水泉", "南山", "北山", "东山", "西山", "双城", "平原", "田园", "荷花", "莲池", "鸿福", "万福", "金地",
    "银河", "天河", "星河", "江南", "江北", "龙泉", "凤凰", "麒麟", "仁和", "礼贤", "信义", "博文", "新兴",
)

ARTERIAL_SUFFIXES = ("路", "大街", "大道")
SECONDARY_SUFFIXES = ("街", "路")
LOCAL_SUFFIXES = ("胡同", "巷", "里", "道街")

ESTATE_SUFFIXES_OLD = ("小区", "小区", "小区", "家园", "新村", "公寓", "住宅区")
ESTATE_SUFFIXES_NEW = ("花园", "家园", "嘉园", "名苑", "雅居", "华府", "小区", "苑", "公馆", "尚城")
FACTORIES = (
    "阿城糖厂", "继电器厂", "阿城钢厂", "亚麻厂", "纺织厂", "机床厂", "啤酒厂", "水泥厂", "粮库", "供电局",
    "铁路", "林业局", "卷烟厂", "造纸厂", "化肥厂", "电机厂", "锅炉厂", "制药厂", "木材厂", "砖厂",
    "汽修厂", "印刷厂", "农机厂", "酒厂", "乳品厂", "热电厂", "自来水公司", "邮电局", "百货公司", "建筑公司",
)
FACTORY_SUFFIXES = ("家属楼", "家属院", "宿舍")

ENTERPRISE_SUFFIXES = ("物业服务有限公司", "物业管理有限公司", "物业服务有限责任公司")
AGENCY_SUFFIX = "物业管理服务中心"

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志军海波宏宇晨阳鑫雪梅凤林春"

CHINESE_NUMERALS = "一二三四五六七八九十"


def numeral(n: int) -> str:
    """1..99 as Chinese numerals (一, 十二, 二十三)."""
    if n <= 10:
        return CHINESE_NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    head = "" if tens == 1 else CHINESE_NUMERALS[tens - 1]
    return head + "十" + (CHINESE_NUMERALS[ones - 1] if ones else "")


class NameBook:
    """Hands out names that are unique within their kind; draws only from its own seeded Random."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()  # membership tests only; never iterated, so order cannot leak in

    def _unique(self, candidate: str, alternatives) -> str:
        if candidate not in self.used:
            self.used.add(candidate)
            return candidate
        for alt in alternatives:
            if alt not in self.used:
                self.used.add(alt)
                return alt
        raise ValueError(f"ran out of names near {candidate}")

    def streets(self, n: int) -> list[str]:
        words = list(STREET_WORDS)
        names = [w + "街道" for w in words[:n]]
        for i in range(len(names), n):
            names.append(f"{self.rng.choice(WORDS)}{numeral(i % 9 + 1)}街道")
        return [self._unique(name, (f"{name[:-2]}新区街道", f"{name[:-2]}东街道")) for name in names]

    def communities(self, n: int) -> list[str]:
        words = list(WORDS)
        self.rng.shuffle(words)
        names = []
        for i in range(n):
            base = words[i % len(words)]
            candidate = base + "社区" if i < len(words) else f"{base}{numeral(i // len(words) + 1)}社区"
            names.append(self._unique(candidate, (f"{base}{numeral(k)}社区" for k in range(2, 60))))
        return names

    def road(self, road_class: str) -> str:
        suffixes = {"arterial": ARTERIAL_SUFFIXES, "secondary": SECONDARY_SUFFIXES}.get(road_class, LOCAL_SUFFIXES)
        word = self.rng.choice(WORDS)
        suffix = self.rng.choice(suffixes)
        return self._unique(word + suffix, (f"{word}{numeral(k)}{suffix}" for k in range(1, 100)))

    def estate(self, *, old: bool, road: str, number: int) -> str:
        r = self.rng.random()
        if old and r < 0.14:
            base = f"{self.rng.choice(FACTORIES)}{self.rng.choice(FACTORY_SUFFIXES)}"
        elif old and r < 0.26:
            base = f"{road}{number}号院"
        else:
            suffixes = ESTATE_SUFFIXES_OLD if old else ESTATE_SUFFIXES_NEW
            base = self.rng.choice(WORDS) + self.rng.choice(suffixes)
        part = "区" if base.endswith("号院") else "期"
        local = road[:2] + base  # the same name elsewhere in town is told apart by its road: 延川林业小区
        return self._unique(base, itertools.chain(
            (f"{base}{numeral(k)}{part}" for k in range(2, 10)),
            (local,),
            (f"{local}{numeral(k)}{part}" for k in range(2, 10)),
            (f"{local}{k}号" for k in itertools.count(1)),
        ))

    def enterprise(self) -> str:
        word = self.rng.choice(WORDS)
        return self._unique(
            f"哈尔滨{word}{self.rng.choice(ENTERPRISE_SUFFIXES)}",
            (f"哈尔滨{word}{w}{s}" for w in WORDS for s in ENTERPRISE_SUFFIXES),
        )

    def person(self) -> str:
        return self.rng.choice(SURNAMES) + "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2))))

    def mobile(self) -> str:
        return self.rng.choice(("139", "138", "135", "151", "186", "133", "177")) + f"{self.rng.randrange(10**8):08d}"

    def landline(self) -> str:
        return f"0451-53{self.rng.randrange(10**6):06d}"
