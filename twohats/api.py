from ninja import NinjaAPI

api = NinjaAPI(title="Twohats API", version="1", urls_namespace="api")
