#!/usr/bin/env python
"""The original tutorial's visualisation entry point, kept so its documented command still works from the repository root:

    python visualize.py --data_folder IMAGES        # figures into ./output

It is the console script `attention_nb_visualize` (see `nbs/04_visualize.ipynb`); `-h` lists every flag.
"""
from attention_nb.visualize import main

if __name__ == '__main__':
    main()
