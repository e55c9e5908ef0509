"""Agreement PDFs: plain values (context.py) rendered by WeasyPrint (render.py)."""
