"""Slide decks: author markers, Marp deck generation and the Marp CLI runner."""
