from pathlib import Path

from pipeline.cli import main
from tests.testing.fixtures import write_article


def test_valid_article_is_clean(repo: Path, capsys) -> None:
    write_article(repo)
    code = main(["--root", str(repo), "lint", "--strict"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "共检查 1 篇文章:0 个错误,0 个警告,0 个提示" in out
