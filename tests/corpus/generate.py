"""Writes the render corpus: article bundles under tests/corpus/content/ that push the renderer
where editors' ordinary Markdown goes and the sample articles do not (long code lines, wide
tables, deep nesting, long unbroken tokens, odd image sizes, every construct the Markdown
dialect has).

Run `python tests/corpus/generate.py` after changing it; the files it writes are committed, so
`tools/render_corpus.py` and the tests read plain bundles. Families ("N deep", "N columns") are
generated here; the hand-written articles are plain strings below.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
CONTENT = HERE / "content"
ACCOUNT, DEPARTMENT = "official", "publicity"


def front_matter(title: str, department: str = DEPARTMENT) -> str:
    return (f"---\ntitle: {title}\nauthor: 测试编辑\ndepartment: {department}\ncategory: 学校新闻\n"
            "cover: cover.jpg\noriginal: true\n---\n\n")


def code_article() -> str:
    long_python = "result = compute_statistics(dataset, columns=['score', 'rank', 'grade'], weights=None, normalise=True)  # 计算成绩统计"
    long_sql = ("SELECT student_id, course_id, AVG(score) AS average_score, COUNT(*) AS attempts FROM exam_results "
                "WHERE term = '2026-autumn' AND department IN ('cs', 'math', 'physics') GROUP BY student_id, course_id;")
    long_js = "const url = `https://api.example.edu.cn/v1/students/${studentId}/courses/${courseId}/grades?term=${term}&include=details`;"
    return front_matter("代码块:长行与多种语言", "cs-college") + f"""下面的代码块每行从 40 到 200 个字符不等。

```python
def average(scores: list[float]) -> float:
    {long_python}
    return sum(scores) / len(scores) if scores else 0.0
```

```sql
{long_sql}
```

```javascript
{long_js}
```

```bash
curl -sS -X POST -H 'Content-Type: application/json' -d '{{"name":"张三","id":"20260001"}}' https://api.example.edu.cn/v1/enrol
```

```java
public final class GradeReportGenerator implements ReportGenerator<StudentGradeRecord, GradeSummaryReport> {{ }}
```

```c
for (int index = 0; index < number_of_students_in_class_including_exchange_students; index++) {{ total += score[index]; }}
```

```go
func (s *Server) HandleEnrolment(w http.ResponseWriter, r *http.Request) {{ s.store.Enrol(r.Context(), r.FormValue("student")) }}
```

```rust
let passed: Vec<&Student> = students.iter().filter(|s| s.score >= PASS_MARK && s.attendance > 0.8).collect();
```

```diff
- old_configuration_value_that_was_very_long_and_unbroken_without_any_spaces_at_all_anywhere
+ new_configuration_value_that_is_even_longer_and_also_unbroken_without_any_spaces_at_all_anywhere_here
```

```haskell
main = mapM_ (putStrLn . formatLine) (zip [1 :: Int ..] (lines "第一行\\n第二行\\n第三行非常非常长的一行文字用于测试换行"))
```

```matlab
result = arrayfun(@(k) sum(scores(groups == k)) / max(1, nnz(groups == k)), unique(groups)); % 分组平均
```

```ansys
/PREP7 ! a lexer whose tokens no style lists
ET,1,SOLID185 $ MP,EX,1,2.1e11 $ MP,PRXY,1,0.3 $ BLOCK,0,10,0,1,0,1 $ VMESH,ALL $ FINISH
```

没有语言的代码块:

```
0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789
an unbroken token: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
	tab	separated	values	with	many	columns	that	go	on	and	on	and	on	and	on	and	on
```

    缩进四格的代码块,也是代码:indented_code_block_with_a_really_long_identifier_name_that_never_ends_in_sight = 1

未知语言 `nosuchlanguage`:

```nosuchlanguage
this language does not exist so the block is plain text; it is long enough to wrap on a phone screen at 375 px
```
"""


def table(columns: int, cell: str = "短格") -> str:
    head = "| " + " | ".join(f"列 {c + 1}" for c in range(columns)) + " |"
    rule = "| " + " | ".join(("---", ":---", ":---:", "---:")[c % 4] for c in range(columns)) + " |"
    rows = ["| " + " | ".join(f"{cell} {r}-{c}" for c in range(columns)) + " |" for r in range(3)]
    return "\n".join([head, rule, *rows])


def tables_article(columns: int) -> str:
    long_cell = "这是一个很长的单元格,里面有一整句话,用来测试单元格内文字的换行是否正常"
    mixed = ("| 名称 | 链接 | 代码 |" + " 说明 |" * (columns - 3) + "\n|---|---|---|" + "---|" * (columns - 3) + "\n"
             + "| 教务系统 | [入口](https://jw.example.edu.cn/portal/index?from=wechat&campus=main) | `pip install --upgrade wxpub-tools` |"
             + f" {long_cell} |" * (columns - 3))
    return front_matter(f"{columns} 列表格") + f"""短单元格的 {columns} 列表格:

{table(columns)}

长单元格:

{table(columns, "课程名称很长的一门课")}

链接、行内代码与长单元格:

{mixed}
"""


def nested_lists(depth: int, ordered: bool = False) -> str:
    lines = []
    for level in range(depth):
        marker = "1." if ordered else "-"
        lines.append("   " * level + f"{marker} 第 {level + 1} 层列表项")
    return "\n".join(lines)


def nested_quotes(depth: int) -> str:
    return "\n".join("> " * (level + 1) + f"第 {level + 1} 层引用" + ("\n" + "> " * (level + 1)) for level in range(depth))


def mixed(depth: int) -> str:
    """List in quote in list ...: `depth` containers, alternating."""
    lines, prefix = [], ""
    for level in range(depth):
        if level % 2 == 0:
            lines.append(f"{prefix}- 第 {level + 1} 层(列表)")
            prefix += "  "
        else:
            lines.append(f"{prefix}> 第 {level + 1} 层(引用)")
            prefix += "> "
    return "\n".join(lines)


def nesting_article(depth: int) -> str:
    return front_matter(f"嵌套 {depth} 层") + f"""无序列表嵌套 {depth} 层:

{nested_lists(depth)}

有序列表嵌套 {depth} 层:

{nested_lists(depth, ordered=True)}

引用嵌套 {depth} 层:

{nested_quotes(depth)}

列表与引用交替嵌套 {depth} 层:

{mixed(depth)}

嵌套之后的段落,必须照常显示。
"""


def long_tokens_article() -> str:
    url = "https://www.example.edu.cn/" + "/".join(f"segment{n}" for n in range(20)) + "?query=" + "x" * 60
    return front_matter("长链接、长单词与长数字") + f"""裸链接:<{url}>

文字链接:[学校通知]({url})

点得开的链接:[公众号文章](https://mp.weixin.qq.com/s/{"A" * 120})

长单词:Pneumonoultramicroscopicsilicovolcanoconiosis{"Supercalifragilisticexpialidocious" * 4}

长数字:{"1234567890" * 15}

长行内代码:`{"very_long_identifier_" * 10}`

标题里也有长词:

## {"Heading" * 20}

> 引用里的长链接 <{url}>

- 列表里的长数字 {"9" * 120}

| 表格 | 里的长词 |
|---|---|
| {"Longword" * 15} | `{"x" * 80}` |
"""


def images_article() -> str:
    return front_matter("尺寸奇特的图片") + """很宽的图片:

![很宽的图片](wide.png)

很高的图片:

![很高的图片](tall.png)

很小的图片:

![很小的图片](tiny.png)

行内的小图 ![小图](tiny.png) 与文字并排。

没有说明文字的图片:

![](square.png)
"""


def gfm_article() -> str:
    return front_matter("所有 Markdown 语法") + """# 一级标题

## 二级标题

### 三级标题

#### 四级标题

##### 五级标题

###### 六级标题

普通段落,带**粗体**、*斜体*、~~删除线~~、`行内代码`和脚注[^note]。
硬换行在行尾两个空格之后,  
这一行在硬换行之后。还有反斜杠硬换行\\
这一行也是。

<!-- 这是 HTML 注释,读者看不到 -->

---

- [x] 已完成的任务
- [ ] 未完成的任务

1. 有序列表
2. 第二项
   - 嵌套的无序列表

7. 从 7 开始的有序列表
8. 第八项

> 引用段落
>
> 引用的第二段

> [!NOTE]
> 说明提示框

> [!WARNING]
> 注意提示框

自动链接:<https://www.example.edu.cn/news> 与邮件 <office@example.edu.cn>

| 左对齐 | 居中 | 右对齐 |
|:---|:---:|---:|
| 1 | 2 | 3 |

***

行内图片 ![图标](tiny.png) 与文字。

[^note]: 这是脚注的内容,脚注里也可以有`代码`和链接 <https://www.example.edu.cn/>。
"""


_CJK = "\u4e00-\u9fff"


def chinese_punctuation(text: str) -> str:
    """Full-width punctuation after Chinese, as editors write it (and lint's TYPO001 asks)."""
    text = re.sub(f"(?<=[{_CJK}]),", "，", text)
    text = re.sub(f"(?<=[{_CJK}]):", "：", text)
    return re.sub(f"\\(([{_CJK}]+)\\)", r"（\1）", text)


def write(slug: str, text: str, images: dict[str, tuple[int, int]] | None = None, department: str = DEPARTMENT) -> None:
    folder = CONTENT / ACCOUNT / department / f"2026-11-30-{slug}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "index.md").write_text(chinese_punctuation(text), encoding="utf-8")
    Image.new("RGB", (900, 500), (31, 138, 91)).save(folder / "cover.jpg", quality=60)
    for name, size in (images or {}).items():
        Image.new("RGB", size, (87, 107, 149)).save(folder / name)


def main() -> None:
    shutil.rmtree(CONTENT, ignore_errors=True)
    write("code", code_article(), department="cs-college")
    for columns in range(3, 11):
        write(f"table-{columns:02d}", tables_article(columns))
    for depth in (2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15, 20):
        write(f"nesting-{depth:02d}", nesting_article(depth))
    write("long-tokens", long_tokens_article())
    write("images", images_article(),
          {"wide.png": (3000, 40), "tall.png": (40, 3000), "tiny.png": (3, 3), "square.png": (200, 200)})
    write("gfm", gfm_article(), {"tiny.png": (16, 16)})


if __name__ == "__main__":
    main()
