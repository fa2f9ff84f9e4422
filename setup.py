"""Packages for setuptools: the code under archsel/ plus the top-level data folders as archsel._data.*."""

from setuptools import find_packages, setup

setup(packages=[*find_packages(include=["archsel", "archsel.*"]), "archsel._data.rules", "archsel._data.profiles"])
