"""The data sets interpret-community's tests download, made here instead: nothing is downloaded at test time.

interpret-community's ``retrieve_dataset`` fetched files from a blob store; each name below returns
data of the same shape and kind (the same columns and dtypes, sparse where the file was sparse),
generated with a fixed seed, or, for the Adult census data, read from the copy bundled with
explain-lib. ``adult()`` stands in for ``shap.datasets.adult()`` (which downloads the same UCI data)
and encodes it exactly as shap does.
"""

import numpy as np
import pandas as pd
import scipy.sparse as sp


def _text_as_object(frame):
    """Text columns as object dtype, as the pandas these tests were written for read a CSV's text."""
    for column in frame.columns:
        if pd.api.types.is_string_dtype(frame[column]) and not pd.api.types.is_object_dtype(frame[column]):
            frame[column] = frame[column].astype(object)
    return frame


def _rng(name):
    return np.random.default_rng(sum(ord(c) * 31 ** i for i, c in enumerate(name)) % 2**32)


def adult():
    """``shap.datasets.adult()`` from the bundled UCI Adult data: 32,561 rows, 12 columns, categories as codes."""
    from explain_lib.datasets import load_adult

    raw, income = load_adult()
    data = pd.DataFrame({
        "Age": raw["age"].astype("float32"),
        "Workclass": raw["workclass"],
        "Education-Num": raw["education_num"].astype("float32"),
        "Marital Status": raw["marital_status"],
        "Occupation": raw["occupation"],
        "Relationship": raw["relationship"],
        "Race": raw["race"],
        "Sex": raw["sex"],
        "Capital Gain": raw["capital_gain"].astype("float32"),
        "Capital Loss": raw["capital_loss"].astype("float32"),
        "Hours per week": raw["hours_per_week"].astype("float32"),
        "Country": raw["native_country"],
    })
    rcode = {"Not-in-family": 0, "Unmarried": 1, "Other-relative": 2, "Own-child": 3, "Husband": 4, "Wife": 5}
    for column in data.columns:
        if column == "Relationship":
            data[column] = np.array([rcode[str(v).strip()] for v in data[column]])
        elif not pd.api.types.is_float_dtype(data[column]):
            values = data[column].astype(object).where(data[column].notna(), None)
            values = values.map(lambda v: None if v is None or str(v).strip() == "?" else str(v).strip())
            data[column] = pd.Categorical(values).codes.astype("int8")
    return data, (np.asarray(income) == 1)


def _adult_census_income():
    """AdultCensusIncome.csv: the UCI Adult data with its original column names and text values."""
    from explain_lib.datasets import load_adult

    raw, income = load_adult()
    frame = pd.DataFrame({name.replace("_", "."): (raw[name].astype(object) if not
                                                   pd.api.types.is_integer_dtype(raw[name]) else raw[name])
                          for name in raw.columns})
    frame["income"] = np.where(np.asarray(income) == 1, ">50K", "<=50K")
    return _text_as_object(frame)


def _sparse_regression(name, n_rows, n_columns, density):
    """A sparse matrix whose second-last column is a regression target of the columns before it."""
    rng = _rng(name)
    X = sp.random(n_rows, n_columns - 2, density=density, random_state=rng, format="csr")
    weights = rng.normal(size=n_columns - 2)
    y = X @ weights + rng.normal(scale=0.1, size=n_rows)
    return sp.hstack([X, sp.csr_matrix(y.reshape(-1, 1)), sp.csr_matrix(np.ones((n_rows, 1)))]).tocsr()


def _a1a():
    """a1a.svmlight: 1,605 rows of 119 binary features, labels -1 / +1."""
    rng = _rng("a1a")
    X = sp.random(1605, 119, density=0.12, random_state=rng, format="csr")
    X.data[:] = 1.0
    y = np.where(X @ rng.normal(size=119) + rng.normal(scale=0.5, size=1605) > 0, 1.0, -1.0)
    return X, y


def _attrition():
    """WA_Fn-UseC_-HR-Employee-Attrition.csv: 1,470 employees, 35 columns (9 of them text)."""
    rng = _rng("attrition")
    n = 1470
    pick = lambda *values: rng.choice(values, size=n)  # noqa: E731
    frame = pd.DataFrame({
        "Age": rng.integers(18, 61, n),
        "Attrition": pick("Yes", "No", "No", "No", "No"),
        "BusinessTravel": pick("Travel_Rarely", "Travel_Frequently", "Non-Travel"),
        "DailyRate": rng.integers(102, 1500, n),
        "Department": pick("Sales", "Research & Development", "Human Resources"),
        "DistanceFromHome": rng.integers(1, 30, n),
        "Education": rng.integers(1, 6, n),
        "EducationField": pick("Life Sciences", "Medical", "Marketing", "Technical Degree", "Other",
                               "Human Resources"),
        "EmployeeCount": np.ones(n, dtype=np.int64),
        "EmployeeNumber": np.arange(1, n + 1),
        "EnvironmentSatisfaction": rng.integers(1, 5, n),
        "Gender": pick("Female", "Male"),
        "HourlyRate": rng.integers(30, 101, n),
        "JobInvolvement": rng.integers(1, 5, n),
        "JobLevel": rng.integers(1, 6, n),
        "JobRole": pick("Sales Executive", "Research Scientist", "Laboratory Technician", "Manufacturing Director",
                        "Healthcare Representative", "Manager", "Sales Representative", "Research Director",
                        "Human Resources"),
        "JobSatisfaction": rng.integers(1, 5, n),
        "MaritalStatus": pick("Single", "Married", "Divorced"),
        "MonthlyIncome": rng.integers(1009, 20000, n),
        "MonthlyRate": rng.integers(2094, 27000, n),
        "NumCompaniesWorked": rng.integers(0, 10, n),
        "Over18": np.array(["Y"] * n),
        "OverTime": pick("Yes", "No"),
        "PercentSalaryHike": rng.integers(11, 26, n),
        "PerformanceRating": rng.integers(3, 5, n),
        "RelationshipSatisfaction": rng.integers(1, 5, n),
        "StandardHours": np.full(n, 80),
        "StockOptionLevel": rng.integers(0, 4, n),
        "TotalWorkingYears": rng.integers(0, 41, n),
        "TrainingTimesLastYear": rng.integers(0, 7, n),
        "WorkLifeBalance": rng.integers(1, 5, n),
        "YearsAtCompany": rng.integers(0, 41, n),
        "YearsInCurrentRole": rng.integers(0, 19, n),
        "YearsSinceLastPromotion": rng.integers(0, 16, n),
        "YearsWithCurrManager": rng.integers(0, 18, n),
    })
    return _text_as_object(frame)


def _imports_85(names):
    """imports-85.csv (UCI automobile): 205 cars, 26 columns, 10 of them text, a few missing values."""
    rng = _rng("imports-85")
    n = 205
    text = {"make": ["toyota", "nissan", "mazda", "honda", "bmw", "audi", "volvo", "peugot"],
            "fuel-type": ["gas", "diesel"], "aspiration": ["std", "turbo"], "num-of-doors": ["two", "four"],
            "body-style": ["sedan", "hatchback", "wagon", "convertible", "hardtop"],
            "drive-wheels": ["fwd", "rwd", "4wd"], "engine-location": ["front", "rear"],
            "engine-type": ["ohc", "ohcf", "ohcv", "dohc", "l", "rotor"],
            "num-of-cylinders": ["four", "six", "five", "eight", "two", "three", "twelve"],
            "fuel-system": ["mpfi", "2bbl", "idi", "1bbl", "spdi", "4bbl", "mfi", "spfi"]}
    columns = {}
    for i, name in enumerate(names):
        if name in text:
            columns[name] = rng.choice(text[name], size=n).astype(object)
        elif i == 0:
            columns[name] = rng.integers(-2, 4, n)
        elif name == "price":
            columns[name] = np.round(rng.uniform(5000, 45000, n))
        else:
            columns[name] = np.round(rng.uniform(10, 200, n), 2)
    frame = pd.DataFrame(columns)
    for name in ("normalized-losses", "num-of-doors", "bore", "stroke", "horsepower", "peak-rpm", "price"):
        if name in frame:
            frame.loc[rng.choice(n, 4, replace=False), name] = np.nan
    return _text_as_object(frame)


def _skewed():
    """unbalanced_dataset.npz: a sparse matrix of 1,585 columns."""
    return sp.random(600, 1585, density=0.02, random_state=_rng("unbalanced"), format="csr")


def _energy():
    """energyefficiency2012_data.train.csv: 614 buildings, 8 features X1-X8 and the loads Y1, Y2 and Y3 after them."""
    rng = _rng("energy")
    n = 614
    frame = pd.DataFrame({
        "X1": rng.choice([0.62, 0.64, 0.66, 0.69, 0.71, 0.74, 0.76, 0.79, 0.82, 0.86, 0.9, 0.98], n),
        "X2": rng.choice([514.5, 563.5, 588.0, 612.5, 637.0, 661.5, 686.0, 710.5, 735.0, 759.5, 784.0, 808.5], n),
        "X3": rng.choice([245.0, 269.5, 294.0, 318.5, 343.0, 367.5, 416.5], n),
        "X4": rng.choice([110.25, 122.5, 147.0, 220.5], n),
        "X5": rng.choice([3.5, 7.0], n),
        "X6": rng.integers(2, 6, n).astype(float),
        "X7": rng.choice([0.0, 0.1, 0.25, 0.4], n),
        "X8": rng.integers(0, 6, n).astype(float),
    })
    load = 40 * frame.X1 - 0.02 * frame.X2 + 4 * frame.X5 + 20 * frame.X7 + rng.normal(scale=0.5, size=n)
    frame["Y1"] = load
    frame["Y2"] = load * 1.1 + rng.normal(scale=0.5, size=n)
    frame["Y3"] = load * 0.9
    return frame


def _breast_cancer():
    """breast-cancer.train.csv: 286 patients, a 0 / 1 label first, then 9 whole-number features (a few missing)."""
    rng = _rng("breast-cancer")
    n = 286
    names = ["age", "menopause", "tumor-size", "inv-nodes", "node-caps", "deg-malig", "breast", "breast-quad",
             "irradiat"]
    features = np.column_stack([rng.integers(0, high, n) for high in (6, 3, 11, 7, 2, 3, 2, 5, 2)]).astype(float)
    label = (features[:, 5] + 0.5 * features[:, 3] + rng.normal(scale=0.8, size=n) > 2.5).astype(int)
    frame = pd.DataFrame(features, columns=names)
    frame.loc[rng.choice(n, 8, replace=False), "node-caps"] = np.nan
    frame.insert(0, "Class", label)
    return frame


def retrieve_dataset(dataset, **kwargs):
    if dataset == 'energyefficiency2012_data.train.csv':
        return _energy()
    if dataset == 'breast-cancer.train.csv':
        return _breast_cancer()
    if dataset == 'a1a.svmlight':
        return _a1a()
    if dataset == 'msx_transformed_2226.npz':
        return _sparse_regression(dataset, 1200, 2226, 0.01)
    if dataset == 'unbalanced_dataset.npz':
        return _skewed()
    if dataset == 'WA_Fn-UseC_-HR-Employee-Attrition.csv':
        return _attrition()
    if dataset == 'imports-85.csv':
        return _imports_85(kwargs['names'])
    if dataset == 'AdultCensusIncome.csv':
        return _adult_census_income()
    raise Exception('Unrecognized file: ' + dataset)


def california_housing():
    """``fetch_california_housing()``'s shape: 20,640 districts, its 8 feature names, a median house value."""
    from sklearn.utils import Bunch

    rng = _rng("california")
    n = 20640
    data = np.column_stack([
        rng.gamma(4.0, 1.0, n),                 # MedInc
        rng.integers(1, 53, n).astype(float),   # HouseAge
        rng.gamma(5.0, 1.1, n),                 # AveRooms
        rng.gamma(20.0, 0.055, n),              # AveBedrms
        rng.gamma(2.0, 700.0, n),               # Population
        rng.gamma(6.0, 0.5, n),                 # AveOccup
        rng.uniform(32.5, 42.0, n),             # Latitude
        rng.uniform(-124.3, -114.3, n),         # Longitude
    ])
    target = (0.45 * data[:, 0] + 0.01 * data[:, 1] - 0.1 * data[:, 2] + 0.4 * data[:, 3] - 0.05 * data[:, 5]
              - 0.15 * (data[:, 6] - 35) - 0.1 * (data[:, 7] + 119) + rng.normal(scale=0.3, size=n))
    names = ["MedInc", "HouseAge", "AveRooms", "AveBedrms", "Population", "AveOccup", "Latitude", "Longitude"]
    return Bunch(data=data, target=np.clip(target, 0.15, 5.0), feature_names=names)


_WORDS = ["god", "jesus", "church", "faith", "bible", "atheist", "belief", "moral", "image", "graphics", "pixel",
          "render", "format", "color", "space", "orbit", "nasa", "launch", "moon", "shuttle", "planet", "the",
          "a", "is", "of", "and", "to", "in", "that", "it", "for", "on", "with", "as", "was", "this", "but"]


def newsgroups(categories, n_documents, seed):
    """Documents of ``categories`` (``fetch_20newsgroups``' ``data`` and ``target``): each category draws most of
    its words from its own part of a small vocabulary, so a classifier can tell them apart."""
    rng = _rng(seed)
    n_topics = len(categories)
    topical, common = _WORDS[:21], _WORDS[21:]
    share = np.array_split(np.arange(len(topical)), n_topics)
    target = rng.integers(0, n_topics, n_documents)
    documents = []
    for label in target:
        own = [topical[i] for i in share[label]]
        words = rng.choice(own, size=rng.integers(20, 60)).tolist() + rng.choice(common, size=30).tolist()
        rng.shuffle(words)
        documents.append(" ".join(words))
    return documents, target


def titanic():
    """titanic3.csv's shape: 1,309 passengers and its 14 columns (missing values where the file has them)."""
    rng = _rng("titanic")
    n = 1309
    pclass = rng.choice([1, 2, 3], n, p=[0.25, 0.2, 0.55])
    sex = rng.choice(["male", "female"], n, p=[0.64, 0.36])
    age = np.round(rng.uniform(0.2, 80, n), 1)
    age[rng.choice(n, 263, replace=False)] = np.nan
    fare = np.round(rng.gamma(1.5, 20.0, n) * (4 - pclass), 4)
    fare[rng.choice(n, 1, replace=False)] = np.nan
    embarked = rng.choice(["S", "C", "Q"], n, p=[0.7, 0.2, 0.1]).astype(object)
    embarked[rng.choice(n, 2, replace=False)] = np.nan
    chance = 0.2 + 0.5 * (sex == "female") + 0.1 * (pclass == 1)
    survived = (rng.uniform(size=n) < chance).astype(int)
    cabin = np.array([f"C{i}" if rng.uniform() < 0.22 else np.nan for i in range(n)], dtype=object)
    return _text_as_object(pd.DataFrame({
        "pclass": pclass, "survived": survived, "name": [f"Passenger {i}" for i in range(n)], "sex": sex, "age": age,
        "sibsp": rng.integers(0, 4, n), "parch": rng.integers(0, 3, n), "ticket": [str(100000 + i) for i in range(n)],
        "fare": fare, "cabin": cabin, "embarked": embarked,
        "boat": np.array(["1" if alive else np.nan for alive in survived], dtype=object), "body": np.where(survived == 0, 1.0, np.nan),
        "home.dest": rng.choice(["New York, NY", "London", "Paris, France"], n).astype(object),
    }))
