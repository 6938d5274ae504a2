"""Tanggap: a public-complaint and social-media response desk."""
