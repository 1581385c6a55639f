# tests/install/readme_blocks.py: the fenced code blocks of README.md, for the install tests
import os


def readme_blocks(source_root):
    """[(language, text)] for each ``` block of README.md, text with its final newline."""
    blocks, lang, lines = [], None, []
    with open(os.path.join(source_root, "README.md")) as f:
        for line in f:
            if lang is None and line.startswith("```"):
                lang, lines = line[3:].strip(), []
            elif lang is not None and line.rstrip("\n") == "```":
                blocks.append((lang, "".join(lines)))
                lang = None
            elif lang is not None:
                lines.append(line)
    return blocks
