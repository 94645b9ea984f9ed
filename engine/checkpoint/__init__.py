"""Loading published DiffPoseTalk files safely, with one-line errors."""
