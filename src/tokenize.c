/* tokenize.c — placeholder; the analyzer module is being written. */
