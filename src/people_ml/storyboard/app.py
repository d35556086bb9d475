"""Entry point of the storyboard: `people-ml storyboard` runs this file."""

from __future__ import annotations

import streamlit as st

from people_ml.storyboard import PAGES, VIEWS_DIR

st.set_page_config(page_title="people_ml storyboard", layout="wide")
pages = [
    st.Page(
        VIEWS_DIR / file_name,
        title=title,
        url_path=file_name.removesuffix(".py"),
        default=index == 0,
    )
    for index, (file_name, title) in enumerate(PAGES.items())
]
st.navigation(pages).run()
