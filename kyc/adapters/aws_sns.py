"""Amazon SNS: one SMS to one phone number (Publish with PhoneNumber), sent as Transactional."""

from __future__ import annotations

from kyc.adapters import aws
from kyc.adapters.base import SmsAdapter, SmsRequest, SmsResult


class SnsSmsAdapter(aws.AwsAdapter, SmsAdapter):
    code = "aws_sns"
    service = "sns"
    endpoint_setting = "AWS_SNS_ENDPOINT_URL"

    def send_sms(self, request: SmsRequest) -> SmsResult:
        attributes = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}}
        if self.settings.AWS_SNS_SENDER_ID:
            attributes["AWS.SNS.SMS.SenderID"] = {
                "DataType": "String",
                "StringValue": self.settings.AWS_SNS_SENDER_ID,
            }
        client = self._client()
        try:
            response = client.publish(
                PhoneNumber=request.phone_number, Message=request.message, MessageAttributes=attributes
            )
        except Exception as exc:
            raise aws.translate(exc) from None
        return SmsResult(message_id=str(response["MessageId"]))


ADAPTER = SnsSmsAdapter
