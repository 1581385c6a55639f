# tests/pyshared/md_blocks.py: the fenced code blocks of a markdown file, for the tests that run docs
"""Shared by tests/python, tests/interop/convert and tests/install: each puts this directory
on sys.path (tests/pyshared under the source root) before importing it."""


def fenced_blocks(path):
    """[(language, text)] for each ``` block of the file, in order: language is what follows
    the opening fence ('' for none), text the lines inside with their newlines."""
    blocks, lang, lines = [], None, []
    with open(path) as f:
        for line in f:
            if lang is None and line.startswith('```'):
                lang, lines = line[3:].strip(), []
            elif lang is not None and line.rstrip() == '```':
                blocks.append((lang, ''.join(lines)))
                lang = None
            elif lang is not None:
                lines.append(line)
    return blocks


def blocks_of(path, language):
    """The text of each block of the file fenced as ```language, in order."""
    return [text for lang, text in fenced_blocks(path) if lang == language]
