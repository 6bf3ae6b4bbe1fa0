"""Renderers: results and definitions turned into tables, files and documents."""
