"""Word and concept vectors: tokenizer, vocabulary, corpora, skip-gram/CBOW training,
subword n-grams for unseen words, the vector table and its file formats, evaluation."""
