"""Section quizzes: question banks as YAML data, rendered as pages graded in the browser."""
