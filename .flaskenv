# Read by the `flask` command in a development checkout (python-dotenv). Variables already
# set in the environment win, so production sets CONSULT_ENV=production explicitly.
FLASK_APP=wsgi:app
CONSULT_ENV=development
