# The segments the benchmarks count (sourced by suite.sh and growth.sh): cond() and group()
# write conditions and groups as the API takes them; `cases` are counts over indexed fields
# and tags and over custom attributes, "kind|name|conditions (AND)|the same count over
# suite.sh's plain table"; `rules`, the ten rules of issue 27 and one more, and `wide`, two over
# the wide rows, "name|conditions|count".
# Needs py().
cond() { printf '{"attribute":"%s","operator":"%s","value":%s}' "$1" "$2" "$3"; }
group() { local logic=$1; shift; printf '{"logic":"%s","conditions":[%s]}' "$logic" "$(IFS=,; echo "$*")"; }
# Birth dates bounding ages as the server reckons them (UTC today): 30 to 40 years old, and
# over 50, under 25, over 60.
read -r oldest youngest age50 age25 age61 <<<"$(py "
import datetime
t = datetime.datetime.now(datetime.timezone.utc).date()
def back(y):
    try: return t.replace(year=t.year - y)
    except ValueError: return t.replace(year=t.year - y, day=28)
print(back(41) + datetime.timedelta(days=1), back(30), back(50), back(25), back(61))")"
# kind | name | conditions (AND) | the same count over the plain table
cases=(
  "indexed|tag vip|$(cond tags has '"vip"')|tags LIKE '%;vip;%'"
  "indexed|gender Female and stage Lead|$(cond gender == '"Female"'),$(cond contactStage == '"Lead"')|gender = 'Female' AND stage = 'Lead'"
  "indexed|age 30 to 40|$(cond age '>=' 30),$(cond age '<=' 40)|birth >= '$oldest' AND birth <= '$youngest'"
  "custom|5 custom-attribute conditions|$(cond plan != '"free"'),$(cond member == true),$(cond orders '>=' 20),$(cond orders '<' 50),$(cond city in '["Pune","Mumbai","Delhi"]')|plan <> 'free' AND member = 1 AND orders >= 20 AND orders < 50 AND city IN ('Pune','Mumbai','Delhi')"
)
# Ten rules of up to five conditions in AND/OR shapes over built-in fields and custom
# attributes (issue 27), and one over the last activity, which the narrow index carries
# since schema version 20: each must count within 100 ms at a million people.
rules=(
  "city Pune or (Other and Customer)|$(group or "$(cond city == '"Pune"')" "$(group and "$(cond gender == '"Other"')" "$(cond contactStage == '"Customer"')")")|city = 'Pune' OR (gender = 'Other' AND stage = 'Customer')"
  "age 30 to 40 and plan pro|$(group and "$(cond age '>=' 30)" "$(cond age '<=' 40)" "$(cond plan == '"pro"')")|birth >= '$oldest' AND birth <= '$youngest' AND plan = 'pro'"
  "Lead, 20+ orders, member|$(group and "$(cond contactStage == '"Lead"')" "$(cond orders '>=' 20)" "$(cond member == true)")|stage = 'Lead' AND orders >= 20 AND member = 1"
  "(Female or Male) in two cities under 10 orders|$(group and "$(group or "$(cond gender == '"Female"')" "$(cond gender == '"Male"')")" "$(cond city in '["Mumbai","Delhi"]')" "$(cond orders '<' 10)")|(gender = 'Female' OR gender = 'Male') AND city IN ('Mumbai','Delhi') AND orders < 10"
  "tag vip or 55+ orders|$(group or "$(cond tags has '"vip"')" "$(cond orders '>' 55)")|tags LIKE '%;vip;%' OR orders > 55"
  "not Churned, 50+, paid, not a member|$(group and "$(cond contactStage != '"Churned"')" "$(cond age '>=' 50)" "$(cond plan != '"free"')" "$(cond member == false)")|stage <> 'Churned' AND birth <= '$age50' AND plan <> 'free' AND member = 0"
  "(Pune, 50+ orders) or (Kochi, under 5) or Subscriber|$(group or "$(group and "$(cond city == '"Pune"')" "$(cond orders '>' 50)")" "$(group and "$(cond city == '"Kochi"')" "$(cond orders '<' 5)")" "$(cond contactStage == '"Subscriber"')")|(city = 'Pune' AND orders > 50) OR (city = 'Kochi' AND orders < 5) OR stage = 'Subscriber'"
  "tag newsletter, Female, under 25|$(group and "$(cond tags has '"newsletter"')" "$(cond gender == '"Female"')" "$(cond age '<' 25)")|tags LIKE '%;newsletter;%' AND gender = 'Female' AND birth > '$age25'"
  "phone +91990 and Customer|$(group and "$(cond phoneNumber starts_with '"+91990"')" "$(cond contactStage == '"Customer"')")|phone LIKE '+91990%' AND stage = 'Customer'"
  "(member or team) and (Other or Lead) and over 60|$(group and "$(group or "$(cond member == true)" "$(cond plan == '"team"')")" "$(group or "$(cond gender == '"Other"')" "$(cond contactStage == '"Lead"')")" "$(cond age '>' 60)")|(member = 1 OR plan = 'team') AND (gender = 'Other' OR stage = 'Lead') AND birth <= '$age61'"
  "active at some time and Female|$(cond lastActivityAt exists null),$(cond gender == '"Female"')|last_activity IS NOT NULL AND gender = 'Female'"
)
# Rules over columns the narrow index lacks (email, name): each person's row is read. Same
# form and limit as the ten.
wide=(
  "email contains .khan|$(cond email contains '".khan"')|email LIKE '%.khan%'"
  "name Omar… or stage Lead|$(group or "$(cond name starts_with '"Omar"')" "$(cond contactStage == '"Lead"')")|name LIKE 'Omar%' OR stage = 'Lead'"
)
