#!/usr/bin/env python
"""The original tutorial's entry point, kept so its documented command still works from the repository root:

    python train_script.py --data_folder DATA --num_classes N --img_size S

It is the console script `attention_nb_train` (see `nbs/03_train.ipynb`); `-h` lists every flag.
"""
from attention_nb.cli import main

if __name__ == '__main__':
    main()
