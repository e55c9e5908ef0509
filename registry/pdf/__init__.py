"""Agreement PDFs from plain values: rendered by WeasyPrint (render.py), sealed and
checked with pyHanko (seal.py). Nothing here reads the database or the Flask app: the
services (services/pdfs.py) read an agreement and pass its values and the settings in."""
